# This file is part of the marketplace modules for Tryton.
"""Two trytond servers on one PostgreSQL database: what a second
application machine would be.

Two servers listen on different ports over the same database.  At the same
instant: 8 clients bill the same period, 4 on each server; 2 clients, one
on each server, pay 4 customer invoices (each payment creates marketplace
sales in that period); 2 clients pay the 2 vendor invoices of an earlier
payout (their sales become paid).  A user who gets a clear message
("nothing left to bill", "a payout is already running") stops; a server
that answers busy (HTTP 503: it rolled back a conflict its own retries did
not resolve) is asked again after a moment, as a user would click again.
Afterwards every sale exists once and is billed once, the vendor invoices
add up to the payouts of their sales, and every client was told the truth:
success or a clear message.  (test_payout_concurrency.py covers payouts
alone on one server.)

Two queue workers on the same database: one is killed while it sends the
self-billing e-mails; the other sends them, each under one Message-ID.
"""
import datetime as dt
import os
import random
import threading
import time
import xmlrpc.client
from decimal import Decimal

import pytest

URI = os.environ.get('TRYTOND_DATABASE_URI', '')
pytestmark = pytest.mark.skipif(
    not URI.startswith('postgresql'),
    reason="two servers on one database need PostgreSQL (a SQLite file is "
    "one process's): it runs in the PostgreSQL pass of setup/test")

VENDORS = 4
PAID_BEFORE = 3
TO_PAY = 4
PAYOUTS_PER_SERVER = 4
PASSWORD = 'scale-out-2-servers'
CLEAR_MESSAGES = ("Nothing left to bill", "A payout is already running")


@pytest.fixture(scope='module')
def data(build_marketplace_db, fresh_database):
    with fresh_database():
        yield build_data(build_marketplace_db)


def build_data(build_marketplace_db):
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import create_vendors

    data = build_marketplace_db()
    vendors, products = create_vendors(VENDORS, data['category'])

    def lines(n):
        return [(p, n + i + 1, Decimal('9.99') + i)
            for i, p in enumerate(products)]
    for n in range(PAID_BEFORE):
        data['sell'](lines(n))
    data['payout'](vendors=vendors[:2])
    Invoice = Model.get('account.invoice')
    vendor_invoices = Invoice.find([('type', '=', 'in')])
    assert len(vendor_invoices) == 2
    unpaid = [data['invoice_of'](lines(n + PAID_BEFORE))
        for n in range(TO_PAY)]
    data['admin_password'](PASSWORD)
    data.update({
        'vendors': vendors, 'products': products,
        'vendor_invoices': [i.id for i in vendor_invoices],
        'unpaid': [i.id for i in unpaid],
        })
    return data


def test_two_servers_one_database(data, live_trytond):
    from proteus import Model, Wizard
    from proteus import config as pconfig
    from trytond.modules.marketplace_sales.tests.tools import pay_invoice

    servers = [live_trytond(), live_trytond()]
    assert servers[0].port != servers[1].port
    urls = [s.url('admin', PASSWORD) for s in servers]
    jobs = []   # (kind, invoice ids, server index)
    for n in range(PAYOUTS_PER_SERVER):
        for s in range(len(servers)):
            jobs.append(('payout', None, s))
    for s in range(len(servers)):
        jobs.append(('pay', data['unpaid'][s::len(servers)], s))
    for s, invoice_id in enumerate(data['vendor_invoices']):
        jobs.append(('pay', [invoice_id], s % len(servers)))
    barrier = threading.Barrier(len(jobs), timeout=120)
    outcomes = [[] for _ in jobs]
    method_id = data['method'].id
    # sales are dated by the server when paid: up to tomorrow at midnight
    to_date = data['today']() + dt.timedelta(days=1)

    def payout():
        "The wizard at its preview, where Bill is clicked"
        wizard = Wizard('marketplace.payout')
        wizard.form.from_date = data['last_month']
        wizard.form.to_date = to_date
        wizard.execute('preview')
        return wizard

    def run(n, kind, invoice_ids, server):
        pconfig.set_xmlrpc(urls[server])
        Invoice = Model.get('account.invoice')
        Method = Model.get('account.invoice.payment.method')
        wizard = payout() if kind == 'payout' else None
        barrier.wait()
        for target in list(invoice_ids or [None]):
            failures = 0
            while failures < 3:
                try:
                    if kind == 'payout':
                        if wizard is None:
                            wizard = payout()
                        wizard.execute('bill')
                        outcomes[n].append('billed')
                    else:
                        invoice = Invoice(target)
                        # a retry after an answer lost on the way
                        if invoice.state != 'paid':
                            invoice = pay_invoice(invoice, Method(method_id))
                        assert invoice.state == 'paid'
                        outcomes[n].append('paid')
                    break
                except xmlrpc.client.ProtocolError as exception:
                    # 503: the server rolled back and says "busy, try
                    # again" (its own retries on conflicts ran out)
                    assert exception.errcode == 503, exception
                    outcomes[n].append('busy')
                    wizard = None
                    time.sleep(random.uniform(0.2, 1))
                except Exception as exception:  # noqa: outcome tested
                    message = str(exception)
                    outcomes[n].append(message[:300])
                    wizard = None
                    failures += 1
                    if kind == 'payout' and any(
                            m in message for m in CLEAR_MESSAGES):
                        break

    threads = [threading.Thread(target=run, args=(n, *job))
        for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a client hung"
    print("outcomes:", outcomes)
    for server in servers:
        assert server.process.poll() is None, server.log_tail()

    # this thread's proteus configuration is still the fixture's (the
    # clients' XML-RPC ones are their threads')
    Invoice = Model.get('account.invoice')
    Sale = Model.get('marketplace.sale')
    # every client told the truth: success or a clear message
    for (kind, _, _), outcome in zip(jobs, outcomes):
        if kind == 'payout':
            for result in outcome:
                assert result in {'billed', 'busy'} or any(
                    m in result for m in CLEAR_MESSAGES), result
            assert outcome[-1] == 'billed' or any(
                m in outcome[-1] for m in CLEAR_MESSAGES), outcome
    payers = [o for (k, _, _), o in zip(jobs, outcomes) if k == 'pay']
    assert all(o and o[-1] == 'paid' for o in payers), payers
    assert all(r in {'paid', 'busy'} for o in payers for r in o), payers
    # a payment that failed once (serialization) left nothing behind
    customer = Invoice.find([('id', 'in', data['unpaid'])])
    assert {i.state for i in customer} == {'paid'}
    # at least one payout billed across both servers
    assert any('billed' in o for (k, _, _), o in zip(jobs, outcomes)
        if k == 'payout'), outcomes
    leftover = Sale.find([('state', '=', 'to_invoice')])
    if leftover:
        payout().execute('bill')

    sales = Sale.find([])
    # 0 lost: one sale per vendor line of every paid customer invoice
    assert len(sales) == (PAID_BEFORE + TO_PAY) * VENDORS
    assert len({s.invoice_line.id for s in sales}) == len(sales)
    # 0 billed twice: each sale on one vendor invoice line of its vendor
    assert all(s.vendor_invoice for s in sales)
    lines = [s.vendor_invoice_line.id for s in sales]
    for sale in sales:
        assert sale.vendor_invoice_line.invoice.id == sale.vendor_invoice.id
        assert sale.vendor_invoice.party.id == sale.vendor.id
        assert sale.commission_amount + sale.payout_amount == (
            sale.net_amount)
    invoices = Invoice.find([('type', '=', 'in')])
    for invoice in invoices:
        billed = [s for s in sales if s.vendor_invoice.id == invoice.id]
        assert billed, invoice.number
        assert invoice.untaxed_amount == sum(s.payout_amount for s in billed)
    assert sum(i.untaxed_amount for i in invoices) == sum(
        s.payout_amount for s in sales)
    print("servers:", [s.port for s in servers], "clients:", len(jobs),
        "sales:", len(sales), "vendor invoices:", len(invoices),
        "vendor lines:", len(set(lines)))


class _HoldFirst:
    """SMTP handler that keeps each message and holds the answer to the
    first one: the worker sending it waits, and is killed there"""

    def __init__(self):
        self.messages = []
        self.first = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        import email
        import email.policy
        self.messages.append(email.message_from_bytes(
                envelope.content, policy=email.policy.default))
        if len(self.messages) == 1:
            self.first.set()
            await asyncio.sleep(30)
        return '250 OK'


def start_worker(directory, smtp_port):
    "A trytond-worker on the test database, mailing through smtp_port"
    import shutil
    import subprocess
    import sys

    from trytond.tests.test_tryton import DB_NAME
    directory.mkdir(exist_ok=True)
    config = directory / 'worker.conf'
    config.write_text(
        f"[database]\nuri = {URI}\n\n"
        f"[email]\nuri = smtp://127.0.0.1:{smtp_port}\n\n"
        "[queue]\nworker = True\n")
    worker = shutil.which('trytond-worker') or os.path.join(
        os.path.dirname(sys.executable), 'trytond-worker')
    log = open(directory / 'worker.log', 'w')
    # its own process group: the worker and its pool's child are killed
    # together
    return subprocess.Popen(
        [worker, '-c', str(config), '-d', DB_NAME, '-n', '1'],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def kill(process):
    "SIGKILL the process and its children, as a machine's crash would"
    import signal
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=20)


def test_worker_killed_while_mailing(data, tmp_path, monkeypatch, free_port):
    """A worker is killed (SIGKILL) while the SMTP server holds its first
    e-mail: the other worker sends the rest, the scheduler's requeue gives
    it the lost one, and every vendor has its self-billing e-mail under one
    Message-ID (the message cut by the kill, if the server kept it, has the
    same Message-ID as the one sent again)"""
    from aiosmtpd.controller import Controller
    from proteus import Model
    from trytond import config
    from trytond.modules.marketplace_sales.tests.tools import create_vendors
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction

    vendors, products = create_vendors(
        3, data['category'], [("Mailed", Decimal('10'))])
    for i, vendor in enumerate(vendors):
        vendor.contact_mechanisms.new(
            type='email', value=f'vendor{i}@example.com')
        vendor.save()
    data['sell']([(p, 2, Decimal('20')) for p in products])
    # A production setup: the payout queues its e-mails for the workers
    if not config.has_section('queue'):
        config.add_section('queue')
    previous = config.get('queue', 'worker', default=None)
    config.set('queue', 'worker', 'True')
    try:
        data['payout'](vendors=vendors)
    finally:
        config.set('queue', 'worker', previous or 'False')
    Invoice = Model.get('account.invoice')
    invoices = Invoice.find([('party', 'in', [v.id for v in vendors])])
    assert len(invoices) == 3
    assert all(i.marketplace_email_queued and not i.marketplace_emailed
        for i in invoices)

    handler = _HoldFirst()
    port = free_port()
    smtp = Controller(handler, hostname='127.0.0.1', port=port)
    smtp.start()
    workers = []
    try:
        workers.append(start_worker(tmp_path / 'first', port))
        assert handler.first.wait(180), "the first worker sent nothing"
        kill(workers[0])
        workers.append(start_worker(tmp_path / 'second', port))

        def emailed():
            with Transaction().start(DB_NAME, 0, readonly=True):
                Invoice_ = Pool(DB_NAME).get('account.invoice')
                return [i.id for i in Invoice_.browse(
                            [i.id for i in invoices])
                    if i.marketplace_emailed]
        deadline = time.monotonic() + 180
        while len(emailed()) < 2:
            assert time.monotonic() < deadline, handler.messages
            time.sleep(1)
        # the lost task: taken by the killed worker, never finished
        lost, = set(i.id for i in invoices) - set(emailed())

        # The scheduler's requeue, once its delay has passed
        with Transaction().start(DB_NAME, 0) as transaction:
            Invoice_ = Pool(DB_NAME).get('account.invoice')
            monkeypatch.setattr(Invoice_, '_marketplace_email_lost',
                dt.timedelta(0))
            requeued = Invoice_.marketplace_requeue_payout_emails()
            assert [i.id for i in requeued] == [lost]
            transaction.commit()
        deadline = time.monotonic() + 180
        while len(emailed()) < 3:
            assert time.monotonic() < deadline, handler.messages
            time.sleep(1)
        # once sent, the requeue finds nothing left
        with Transaction().start(DB_NAME, 0):
            assert Pool(DB_NAME).get(
                'account.invoice').marketplace_requeue_payout_emails() == []
    finally:
        for worker in workers:
            kill(worker)
        smtp.stop()

    by_id = {}
    for message in handler.messages:
        by_id.setdefault(message['Message-ID'].strip(), []).append(
            message['To'].addresses[0].addr_spec)
    # One Message-ID per vendor.  The server kept the message whose answer
    # it held when the worker was killed: the lost invoice's e-mail arrived
    # twice, both times under its one Message-ID.
    assert sorted(to for tos in by_id.values() for to in set(tos)) == [
        f'vendor{i}@example.com' for i in range(3)], by_id
    assert sorted(len(tos) for tos in by_id.values()) == [1, 1, 2], by_id
    with Transaction().start(DB_NAME, 0, readonly=True):
        Email = Pool(DB_NAME).get('ir.email')
        for invoice in invoices:
            # the database holds the try that committed, once
            sent, = Email.search(
                [('resource', '=', f'account.invoice,{invoice.id}')])
            assert sent.message_id in by_id
            assert len(by_id[sent.message_id]) == (
                2 if invoice.id == lost else 1)
