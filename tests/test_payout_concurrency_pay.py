# This file is part of the marketplace modules for Tryton.
"""Payouts while invoices are being paid, on a running trytond on
PostgreSQL (issue #8, part 3; test_payout_concurrency.py covers eight
payouts alone).

At the same instant: 8 clients bill the same period, 2 clients pay 4
customer invoices (each payment creates marketplace sales in that period),
2 clients pay the 2 vendor invoices of an earlier payout (their sales become
paid).  A user who gets a clear "try again" message clicks again, up to 3
times.  Afterwards every sale exists once, is billed once, and the vendor
invoices add up to the payouts of their sales.
"""
import datetime as dt
import os
import threading
from decimal import Decimal

import pytest

URI = os.environ.get('TRYTOND_DATABASE_URI', '')
pytestmark = pytest.mark.skipif(
    not URI.startswith('postgresql'),
    reason="concurrency needs PostgreSQL and a live trytond: it runs in the "
    "PostgreSQL pass of setup/test")

VENDORS = 4
PAID_BEFORE = 3
TO_PAY = 4
PAYOUTS = 8
PAYERS = 2
PASSWORD = 'concurrency-pay-8'
CLEAR_MESSAGES = ("Nothing left to bill", "A payout is already running")


@pytest.fixture(scope='module')
def data(build_marketplace_db, fresh_database):
    with fresh_database():
        yield build_data(build_marketplace_db)


def build_data(build_marketplace_db):
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)

    data = build_marketplace_db()
    vendors, products = [], []
    for i in range(VENDORS):
        vendor = create_vendor(f"Vendor {i}", Decimal('0.15'), Decimal('0.5'))
        vendors.append(vendor)
        products.append(create_vendor_product(
                f"Product {i}", Decimal('10'), vendor, data['category']))

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
    User = Model.get('res.user')
    admin = User(data['config'].user)
    admin.password = PASSWORD
    admin.save()
    data.update({
        'vendors': vendors, 'products': products,
        'vendor_invoices': [i.id for i in vendor_invoices],
        'unpaid': [i.id for i in unpaid],
        })
    return data


def test_payouts_while_paying(data, live_trytond):
    from proteus import Model, Wizard
    from proteus import config as pconfig
    from trytond.modules.marketplace_sales.tests.tools import pay_invoice

    server = live_trytond()
    url = server.url('admin', PASSWORD)
    jobs = []
    for n in range(PAYOUTS):
        jobs.append(('payout', None))
    for n in range(PAYERS):
        jobs.append(('pay', data['unpaid'][n::PAYERS]))
    for invoice_id in data['vendor_invoices']:
        jobs.append(('pay', [invoice_id]))
    barrier = threading.Barrier(len(jobs), timeout=120)
    outcomes = [[] for _ in jobs]
    method_id = data['method'].id
    # the payments at the same instant create sales dated by the server
    # then: up to tomorrow if the run crosses midnight
    to_date = data['today']() + dt.timedelta(days=1)

    def payout():
        wizard = Wizard('marketplace.payout')
        wizard.form.from_date = data['last_month']
        wizard.form.to_date = to_date
        wizard.execute('preview')
        return wizard

    def run(n, kind, invoice_ids):
        pconfig.set_xmlrpc(url)
        Invoice = Model.get('account.invoice')
        Method = Model.get('account.invoice.payment.method')
        wizard = payout() if kind == 'payout' else None
        barrier.wait()
        todo = list(invoice_ids or [None])
        while todo:
            target = todo[0]
            for attempt in range(3):
                try:
                    if kind == 'payout':
                        if attempt:
                            wizard = payout()
                        wizard.execute('bill')
                        outcomes[n].append('billed')
                    else:
                        invoice = pay_invoice(
                            Invoice(target), Method(method_id))
                        assert invoice.state == 'paid'
                        outcomes[n].append('paid')
                    break
                except Exception as exception:  # noqa: outcome tested
                    message = str(exception)
                    outcomes[n].append(message[:200])
                    if kind == 'payout' and any(
                            m in message for m in CLEAR_MESSAGES):
                        break
            todo.pop(0)

    threads = [threading.Thread(target=run, args=(n, *job))
        for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a client hung"
    print("outcomes:", outcomes)

    # the checks read the same database in-process (much faster than RPC)
    from trytond.tests.test_tryton import DB_NAME
    pconfig.set_trytond(DB_NAME)
    try:
        Invoice = Model.get('account.invoice')
        Sale = Model.get('marketplace.sale')
        # what the users saw: invoices or a clear message, never a raw error
        for (kind, _), outcome in zip(jobs, outcomes):
            for result in outcome:
                if kind == 'payout':
                    assert result == 'billed' or any(
                        m in result for m in CLEAR_MESSAGES), result
        payers = [o for (k, _), o in zip(jobs, outcomes) if k == 'pay']
        assert all(o and o[-1] == 'paid' for o in payers), payers
        # every invoice paid; bill what the payments added after the runs
        customer = Invoice.find([('id', 'in', data['unpaid'])])
        assert {i.state for i in customer} == {'paid'}
        leftover = Sale.find([('state', '=', 'to_invoice')])
        if leftover:
            payout().execute('bill')

        sales = Sale.find([])
        # 0 lost: one sale per vendor line of every paid customer invoice
        assert len(sales) == (PAID_BEFORE + TO_PAY) * VENDORS
        assert len({s.invoice_line.id for s in sales}) == len(sales)
        # 0 billed twice: each sale on one vendor invoice, on its line
        assert all(s.vendor_invoice for s in sales)
        for sale in sales:
            assert sale.vendor_invoice_line.invoice.id == (
                sale.vendor_invoice.id)
            assert sale.vendor_invoice.party.id == sale.vendor.id
        invoices = Invoice.find([('type', '=', 'in')])
        assert {i.state for i in invoices} <= {'posted', 'paid'}
        # totals reconcile
        assert sum(i.untaxed_amount for i in invoices) == sum(
            s.payout_amount for s in sales)
        for invoice in invoices:
            billed = [s for s in sales if s.vendor_invoice.id == invoice.id]
            assert billed, invoice.number
            assert invoice.untaxed_amount == sum(
                s.payout_amount for s in billed)
            expected = {'paid': 'paid', 'posted': 'awaiting_payment'}[
                invoice.state]
            assert {s.state for s in billed} == {expected}, invoice.number
        paid_before = [s for s in sales
            if s.vendor_invoice.id in data['vendor_invoices']]
        assert paid_before and {s.state for s in paid_before} == {'paid'}
        print("concurrent runs:", len(jobs), "sales checked:", len(sales),
            "vendor invoices:", len(invoices))
    finally:
        pconfig.set_trytond(DB_NAME)
