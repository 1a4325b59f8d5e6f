# This file is part of the marketplace modules for Tryton.
"""Faults during a payout and a paid hook run twice (issue #8, part 2).

In-process (both databases): a payout run is made to fail at each of its
steps (building the commission line of the second vendor, linking the sales
with SQL or, when triggers need it, with the ORM,
posting the invoices, after everything) and must leave nothing behind: no
invoice, no invoice line, no move, no number taken, no sale moved.

On PostgreSQL, against a running trytond: the database connection of the
payout is terminated (pg_terminate_backend) while it writes; whatever the
dispatcher does then (retry or give up), every sale is billed at most once
and every vendor invoice matches its sales.
"""
import os
import threading
import time
from decimal import Decimal

import pytest

ON_POSTGRESQL = os.environ.get(
    'TRYTOND_DATABASE_URI', '').startswith('postgresql')
VENDORS = 3
PASSWORD = 'faults-admin-8'


class Faults:
    injected = 0


@pytest.fixture(scope='module')
def data(build_marketplace_db, fresh_database):
    with fresh_database():
        yield build_data(build_marketplace_db)


def build_data(build_marketplace_db):
    from trytond.modules.marketplace_sales.tests.tools import create_vendors

    data = build_marketplace_db()
    vendors, products = create_vendors(
        VENDORS, data['category'],
        [("Product", Decimal('10')), ("Other", Decimal('7'))],
        commission_rate=lambda i: Decimal('0.15') + Decimal(i) / 100)
    for n in range(2):
        data['sell']([
                (p, n + i + 1, Decimal('9.99') + i)
                for i, p in enumerate(products)])
    data['admin_password'](PASSWORD)
    data['vendors'] = vendors
    data['products'] = products
    return data


def pool_model(name):
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME
    return Pool(DB_NAME).get(name)


def ledger():
    "Return the sales as {id: (state, vendor_invoice, payout)}"
    from proteus import Model
    Sale = Model.get('marketplace.sale')
    return {
        s.id: (s.state, s.vendor_invoice.id if s.vendor_invoice else None,
            s.payout_amount)
        for s in Sale.find([])}


@pytest.mark.parametrize('step', [
        'commission_line_second_vendor', 'link_sales', 'link_sales_orm',
        'wait_payment', 'post', 'after_bill'])
def test_payout_fault_leaves_nothing(data, unchanged, monkeypatch, step):
    "A payout failing at any step rolls back the whole run"
    Sale = pool_model('marketplace.sale')
    Invoice = pool_model('account.invoice')
    calls = []

    class Crash(Exception):
        pass

    def crash_on_second(original):
        def method(cls, *args, **kwargs):
            calls.append(args)
            if len(calls) == 2:
                raise Crash(step)
            return original(*args, **kwargs)
        return classmethod(method)

    def crash_after(original):
        def method(cls, *args, **kwargs):
            original(*args, **kwargs)
            calls.append(args)
            raise Crash(step)
        return classmethod(method)

    if step == 'commission_line_second_vendor':
        monkeypatch.setattr(Sale, '_get_payout_commission_line',
            crash_on_second(Sale._get_payout_commission_line))
    elif step == 'link_sales':
        # the sales are linked and logged with SQL, then it fails
        monkeypatch.setattr(Sale, '_payout_link_sql',
            crash_after(Sale._payout_link_sql))
    elif step == 'link_sales_orm':
        # with a trigger on the sales the ORM links them: fail in its write
        monkeypatch.setattr(
            Sale, '_payout_link_by_sql', classmethod(lambda cls: False))
        original_write = Sale.write

        def write(cls, *args):
            if any('vendor_invoice' in v for v in args[1::2]):
                calls.append(args)
                raise Crash(step)
            return original_write(*args)
        monkeypatch.setattr(Sale, 'write', classmethod(write))
    elif step == 'wait_payment':
        monkeypatch.setattr(
            Sale, '_payout_link_by_sql', classmethod(lambda cls: False))
        monkeypatch.setattr(
            Sale, 'wait_payment', crash_after(Sale.wait_payment))
    elif step == 'post':
        monkeypatch.setattr(Invoice, 'post', crash_after(Invoice.post))
    else:
        monkeypatch.setattr(Sale, 'bill', crash_after(Sale.bill))

    Faults.injected += 1
    with unchanged():
        with pytest.raises(Crash):
            data['payout']()
    assert calls, "the fault was not reached"
    assert {state for state, _, _ in ledger().values()} == {'to_invoice'}


def test_payout_after_faults_bills_everything_once(data, unchanged):
    "Once the faults are gone the same period bills each sale once"
    from proteus import Model
    before = ledger()
    assert {s for s, _, _ in before.values()} == {'to_invoice'}
    data['payout']()
    after = ledger()
    assert after.keys() == before.keys()
    Invoice = Model.get('account.invoice')
    invoices = Invoice.find([('type', '=', 'in')])
    assert len(invoices) == VENDORS
    assert {i.state for i in invoices} == {'posted'}
    # sequence numbers: the failed runs took none
    assert sorted(i.number for i in invoices) == [
        f'AF-{n}' for n in range(1, VENDORS + 1)]
    for invoice in invoices:
        billed = [p for s, i, p in after.values() if i == invoice.id]
        assert billed
        assert invoice.untaxed_amount == sum(billed)
    assert all(
        s == 'awaiting_payment' and i for s, i, _ in after.values())


def test_paid_hook_twice_creates_nothing(data, snapshot):
    """The paid hook of a customer invoice and of a vendor invoice run
    again (a queue task retried after a crash) creates and moves nothing"""
    from trytond.modules.marketplace_sales.tests.tools import pay_invoice
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction
    from proteus import Model

    Invoice = Model.get('account.invoice')
    vendor_invoice = Invoice.find([('type', '=', 'in')])[0]
    pay_invoice(vendor_invoice, data['method'])
    customer_invoices = Invoice.find([('type', '=', 'out')])
    before = snapshot()
    ledger_before = ledger()
    assert {s for s, _, _ in ledger_before.values()} == {
        'paid', 'awaiting_payment'}

    for _ in range(2):
        Faults.injected += 1
        with Transaction().start(DB_NAME, 0) as transaction:
            PoolInvoice = pool_model('account.invoice')
            Sale = pool_model('marketplace.sale')
            invoices = PoolInvoice.browse(
                [i.id for i in customer_invoices] + [vendor_invoice.id])
            # the hook body, then the whole transition from posted again
            assert Sale.create_from_invoices(
                invoices[:-1], lambda line: data['built_on']) == []
            table = PoolInvoice.__table__()
            cursor = transaction.connection.cursor()
            cursor.execute(*table.update(
                    [table.state], ['posted'],
                    where=table.id.in_([i.id for i in invoices])))
            PoolInvoice.paid(PoolInvoice.browse([i.id for i in invoices]))
            transaction.commit()
    after = snapshot()
    assert ledger() == ledger_before
    assert after['digests']['marketplace_sale'] == (
        before['digests']['marketplace_sale'])
    assert after['rows']['marketplace_sale'] == (
        before['rows']['marketplace_sale'])
    for table in ['account_invoice', 'account_invoice_line',
            'account_move', 'account_move_line']:
        assert after['rows'][table][0] == before['rows'][table][0], table
    assert after['totals'] == before['totals']


def test_worker_crash_while_emailing(data, snapshot, monkeypatch):
    """The e-mail task of a payout crashes in the worker: the invoice and its
    sales are untouched, the task stays in the queue unfinished and a
    second run sends the e-mail"""
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    from trytond.modules.marketplace_sales_payout.tests.tools import (
        SMTPServer)
    from trytond.tests.test_tryton import DB_NAME
    from trytond.worker import run_task

    vendor = create_vendor("Mailed Vendor", Decimal('0.2'))
    vendor.contact_mechanisms.new(type='email', value='mailed@example.com')
    vendor.save()
    product = create_vendor_product(
        "Mailed Product", Decimal('10'), vendor, data['category'])
    data['sell']([(product, 4, Decimal('12.50'))])

    Email = pool_model('ir.email')
    crashes = []

    def crash(cls, *args, **kwargs):
        crashes.append(kwargs.get('to'))
        raise RuntimeError("worker killed while e-mailing")
    with SMTPServer() as smtp:
        monkeypatch.setattr(Email, 'send', classmethod(crash))
        Faults.injected += 1
        data['payout'](vendors=[vendor])
        monkeypatch.undo()
        assert crashes and not smtp.messages

        Invoice = Model.get('account.invoice')
        Sale = Model.get('marketplace.sale')
        invoice, = Invoice.find([('party', '=', vendor.id)])
        sales = Sale.find([('vendor', '=', vendor.id)])
        # 50.00 − 20 % = 40.00, posted and linked whatever the worker did
        assert (invoice.state, invoice.untaxed_amount) == (
            'posted', Decimal('40.00'))
        assert [(s.state, s.vendor_invoice.id) for s in sales] == [
            ('awaiting_payment', invoice.id)]
        from trytond.transaction import Transaction
        with Transaction().start(DB_NAME, 0, readonly=True):
            Queue = pool_model('ir.queue')
            assert not pool_model('ir.email').search(
                [('resource', '=', 'account.invoice,%s' % invoice.id)])
            task, = Queue.search([
                    ('name', '=', 'marketplace_payout'),
                    ('finished_at', '=', None)])
            assert task.data['method'] == 'marketplace_send_payout'
            assert list(task.data['instances']) == [invoice.id]
            task_id = task.id
        before = snapshot()

        # the task is retried (a worker pulls it again)
        run_task(DB_NAME, task_id)
        after = snapshot()
        assert len(smtp.messages) == 1
        recipients, message = smtp.messages[0]
        assert recipients == ['mailed@example.com']
        assert invoice.number in message['Subject']
    with Transaction().start(DB_NAME, 0, readonly=True):
        assert pool_model('ir.queue')(task_id).finished_at
        assert len(pool_model('ir.email').search(
                [('resource', '=', 'account.invoice,%s' % invoice.id)])) == 1
        # the invoice records when the SMTP server accepted the e-mail
        sent = pool_model('account.invoice')(invoice.id)
        assert sent.marketplace_emailed >= sent.marketplace_email_queued
    for table in ['account_invoice_line', 'account_move',
            'account_move_line', 'marketplace_sale', 'ir_sequence_strict']:
        assert after['digests'][table] == before['digests'][table], table
    assert after['totals'] == before['totals']


@pytest.mark.skipif(not ON_POSTGRESQL,
    reason="terminating the connection of a running payout needs "
    "PostgreSQL and a live trytond")
def test_payout_connection_killed(data, live_trytond):
    """Kill the database connection of the payout while it writes, several
    times: each sale ends billed once or not at all"""
    import psycopg
    from proteus import Model, Wizard
    from proteus import config as pconfig

    # More sales to bill: the previous test billed the first ones
    for n in range(3):
        data['sell']([
                (p, n + i + 1, Decimal('4.99') + i)
                for i, p in enumerate(data['products'])])
    Sale = Model.get('marketplace.sale')
    to_bill = {s.id: s.payout_amount for s in Sale.find(
            [('state', '=', 'to_invoice')])}
    assert len(to_bill) == 3 * 2 * VENDORS

    from trytond.tests.test_tryton import DB_NAME
    server = live_trytond()
    uri = os.environ['TRYTOND_DATABASE_URI']
    killer = psycopg.connect(uri.rstrip('/') + '/postgres', autocommit=True)
    kills = []
    stop = threading.Event()

    def kill_while_writing():
        patterns = ('INSERT INTO "account_invoice_line"%',
            'UPDATE "marketplace_sale"%', 'INSERT INTO "account_move_line"%',
            'UPDATE "account_invoice"%')
        while not stop.is_set() and len(kills) < 2:
            rows = killer.execute(
                "SELECT pid, query FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid() "
                "AND state IN ('active', 'idle in transaction') "
                "AND (" + ' OR '.join(['query LIKE %s'] * len(patterns))
                + ")", (DB_NAME, *patterns)).fetchall()
            for pid, query in rows:
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
                kills.append(query[:60])
            time.sleep(0.002)

    thread = threading.Thread(target=kill_while_writing)
    thread.start()
    outcome = None
    try:
        pconfig.set_xmlrpc(server.url('admin', PASSWORD))
        payout = Wizard('marketplace.payout')
        payout.form.from_date = data['last_month']
        payout.form.to_date = data['today']()
        try:
            payout.execute('preview')
            payout.execute('bill')
            outcome = 'billed'
        except Exception as exception:  # noqa: the outcome is what we test
            outcome = str(exception)[:300]
    finally:
        stop.set()
        thread.join(timeout=30)
        killer.close()
        pconfig.set_trytond(DB_NAME)
    Faults.injected += len(kills)
    assert kills, "no connection was terminated during the payout"
    print("kills:", kills, "outcome:", outcome)

    Invoice = Model.get('account.invoice')
    sales = {s.id: s for s in Sale.find([('id', 'in', list(to_bill))])}
    states = {s.state for s in sales.values()}
    if outcome == 'billed':
        assert states == {'awaiting_payment'}
    else:
        # given up: nothing of the run remains, the next run bills it all
        assert states == {'to_invoice'}, outcome
        data['payout']()
        sales = {s.id: s for s in Sale.find([('id', 'in', list(to_bill))])}
    # every invoice of the run is posted, complete and matches its sales
    run_invoices = {s.vendor_invoice.id for s in sales.values()}
    assert len(run_invoices) == VENDORS
    for invoice in Invoice.find([('id', 'in', list(run_invoices))]):
        assert invoice.state == 'posted'
        billed = [s for s in sales.values()
            if s.vendor_invoice.id == invoice.id]
        assert invoice.untaxed_amount == sum(to_bill[s.id] for s in billed)
        assert {s.vendor_invoice_line.invoice.id for s in billed} == {
            invoice.id}
    # no draft, half-written or orphan vendor invoice anywhere
    assert not Invoice.find([('type', '=', 'in'), ('state', '=', 'draft')])
    for invoice in Invoice.find([('type', '=', 'in')]):
        assert Sale.find([('vendor_invoice', '=', invoice.id)]), invoice.id
