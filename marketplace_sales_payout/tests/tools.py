# This file is part of the marketplace modules for Tryton.
"A real SMTP server on 127.0.0.1 for the e-mail tests"
import email
import email.policy
import socket

from aiosmtpd.controller import Controller

from trytond import config


class _Handler:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return '250 OK'


class SMTPServer:
    """Start an aiosmtpd server and point Tryton's [email] uri to it.
    `messages` holds (recipients, email.message.EmailMessage) pairs."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            self.port = sock.getsockname()[1]
        self._handler = _Handler()
        self._controller = Controller(
            self._handler, hostname='127.0.0.1', port=self.port)
        self._previous = None

    @property
    def messages(self):
        return self._handler.messages

    def start(self):
        self._controller.start()
        if not config.has_section('email'):
            config.add_section('email')
        self._previous = config.get('email', 'uri', default=None)
        config.set('email', 'uri', 'smtp://127.0.0.1:%s' % self.port)
        return self

    def stop(self):
        self._controller.stop()
        if self._previous is not None:
            config.set('email', 'uri', self._previous)

    def __enter__(self):
        return self.start()

    def __exit__(self, *args):
        self.stop()


def attachments(message):
    "Return [(filename, content type, bytes)] of the message's attachments"
    return [(part.get_filename(), part.get_content_type(),
            part.get_payload(decode=True))
        for part in message.iter_attachments()]
