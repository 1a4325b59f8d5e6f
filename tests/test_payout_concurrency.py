# This file is part of the marketplace modules for Tryton.
"""Eight users click "Bill" on the same period at the same instant, against a
running trytond on PostgreSQL, through XML-RPC (proteus).

Every sale must be billed exactly once, and every user gets either the
invoices or a clear message ("nothing left to bill" / "a payout is already
running"), never a raw database error.
"""
import datetime as dt
import os
import threading
from decimal import Decimal

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get('TRYTOND_DATABASE_URI', '').startswith('postgresql'),
    reason="the concurrency proof needs PostgreSQL: it runs in the "
    "PostgreSQL pass of setup/test")

CLIENTS = 8
VENDORS = 4
INVOICES = 3
PASSWORD = 'concurrency-admin'
CLEAR_MESSAGES = ("Nothing left to bill", "A payout is already running")


def populate(build_marketplace):
    """Return the expected sales after building them through the paid hook
    and the server's date when they were built"""
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import create_vendors

    data = build_marketplace()
    _, products = create_vendors(VENDORS, data['category'])
    for n in range(INVOICES):
        data['sell']([
                (product, n + i + 1, Decimal('9.99'))
                for i, product in enumerate(products)])

    data['admin_password'](PASSWORD)
    Sale = Model.get('marketplace.sale')
    return {s.id: s.payout_amount for s in Sale.find([])}, data['built_on']


@pytest.fixture
def server(
        build_marketplace_db, fresh_database, server_today, live_trytond):
    with fresh_database():
        expected, built_on = populate(build_marketplace_db)
        trytond = live_trytond()
        try:
            yield {
                'url': trytond.url('admin', PASSWORD),
                'expected': expected, 'built_on': built_on,
                'today': server_today,
                }
        finally:
            trytond.stop()


def test_eight_clicks_bill_each_sale_once(server):
    from proteus import Model, Wizard
    from proteus import config as pconfig

    # every sale was dated by the server on or after built_on
    from_date = server['built_on'] - dt.timedelta(days=31)
    pconfig.set_xmlrpc(server['url'])
    to_date = server['today']()
    barrier = threading.Barrier(CLIENTS, timeout=120)
    outcomes = [None] * CLIENTS

    def click(n):
        try:
            pconfig.set_xmlrpc(server['url'])
            payout = Wizard('marketplace.payout')
            payout.form.from_date = from_date
            payout.form.to_date = to_date
            payout.execute('preview')
            barrier.wait()
            payout.execute('bill')
            outcomes[n] = ('invoices', None)
        except Exception as exception:  # noqa: the outcome is what we test
            outcomes[n] = ('error', str(exception))

    threads = [
        threading.Thread(target=click, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client hung"

    print("outcomes:", outcomes)
    billed = [o for o in outcomes if o[0] == 'invoices']
    refused = [o for o in outcomes if o[0] == 'error']
    assert len(billed) == 1, outcomes
    for _, message in refused:
        assert any(m in message for m in CLEAR_MESSAGES), message

    pconfig.set_xmlrpc(server['url'])
    Sale = Model.get('marketplace.sale')
    Invoice = Model.get('account.invoice')
    sales = Sale.find([])
    expected = server['expected']
    assert len(sales) == VENDORS * INVOICES == len(expected)
    # every sale billed exactly once, none lost
    assert {s.state for s in sales} == {'awaiting_payment'}
    assert all(s.vendor_invoice and s.vendor_invoice_line for s in sales)
    invoices = Invoice.find([('type', '=', 'in')])
    assert len(invoices) == VENDORS
    assert {i.state for i in invoices} == {'posted'}
    # totals reconcile: vendor invoices = payouts of the billed sales
    assert sum(i.untaxed_amount for i in invoices) == sum(expected.values())
    for invoice in invoices:
        assert invoice.untaxed_amount == sum(
            s.payout_amount for s in sales
            if s.vendor_invoice.id == invoice.id)
