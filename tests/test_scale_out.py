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

    from trytond.tests.test_tryton import DB_NAME
    pconfig.set_trytond(DB_NAME)
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
