# This file is part of the marketplace modules for Tryton.
"""The self-billing e-mails leave before their transaction commits.

Tryton's SMTPDataManager sends after the database commit: a worker killed
between the two has recorded as sent a message that never left.  This one
sends in the vote, before the commit, so what the database records as
e-mailed was accepted by the SMTP server.  A worker killed between the send
and the commit leaves the invoice unmarked: the message is sent again with
the same Message-ID, by which mail readers know it is the same message.
"""
from trytond.sendmail import SMTPDataManager, send_message


class SMTPBeforeCommit(SMTPDataManager):
    """Join a transaction before ir.email sends through it: Tryton's
    send_message_transactional finds it equal to its own manager and queues
    the messages here"""

    def __init__(self, uri=None, strict=True):
        super().__init__(uri=uri, strict=strict)
        self.message_id = None

    def put(self, from_addr, to_addrs, msg):
        "Queue msg, with the Message-ID set for it when there is one"
        if self.message_id:
            del msg['Message-ID']
            msg['Message-ID'] = self.message_id
            self.message_id = None
        super().put(from_addr, to_addrs, msg)

    def tpc_vote(self, trans):
        super().tpc_vote(trans)
        if self._server is None:
            return
        for from_addr, to_addrs, msg in self.queue:
            server = send_message(
                msg, from_addr, to_addrs, server=self._server,
                strict=self.strict)
            if server:
                self._server = server
        # sent: tpc_finish only closes the connection
        self.queue = []
