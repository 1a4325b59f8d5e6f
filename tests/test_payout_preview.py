# This file is part of the marketplace modules for Tryton.
"""The preview of Bill Vendor Sales shows what Bill then does.

Four vendors sell in the period, with a minimum payout of 50.00:

- Anne (10 %, e-mail address): 2 × 100.00 and 1 × 55.50, net 255.50,
  commission 20.00 + 5.55 = 25.55, payout 229.95: e-mailed;
- Bruno (20 %, no e-mail): 3 × 40.00, net 120.00, commission 24.00,
  payout 96.00: billed, to send by post;
- Claire (25 %): 1 × 20.00, net 20.00, commission 5.00, payout 15.00:
  skipped, under the minimum;
- Denis (10 %, no address): 1 × 80.00, net 80.00, commission 8.00,
  payout 72.00: an error, the self-billing invoice needs an address.
"""
import datetime as dt
from decimal import Decimal

import pytest

D = Decimal


@pytest.fixture(scope='module')
def data(build_marketplace_db, fresh_database):
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    with fresh_database():
        data = build_marketplace_db()
        configuration = data['configuration']
        configuration.minimum_payout = D('50.00')
        configuration.save()
        vendors = {}
        for name, rate in [('Anne', '0.10'), ('Bruno', '0.20'),
                ('Claire', '0.25'), ('Denis', '0.10')]:
            vendor = create_vendor(name, D(rate))
            vendors[name] = vendor
            data[name] = create_vendor_product(
                f"Product {name}", D('10'), vendor, data['category'])
        vendors['Anne'].contact_mechanisms.new(
            type='email', value='anne@example.com', invoice=True)
        vendors['Anne'].save()
        Address = Model.get('party.address')
        Address.delete(Address.find([('party', '=', vendors['Denis'].id)]))
        data['vendors'] = vendors
        data['sell']([(data['Anne'], 2, D('100.00'))])
        data['sell']([(data['Anne'], 1, D('55.50'))])
        data['sell']([(data['Bruno'], 3, D('40.00'))])
        data['sell']([(data['Claire'], 1, D('20.00'))])
        data['sell']([(data['Denis'], 1, D('80.00'))])
        yield data


def preview(data, records=None):
    from proteus import Wizard
    wizard = Wizard('marketplace.payout', records)
    wizard.form.from_date = data['last_month']
    wizard.form.to_date = data['today']()
    wizard.execute('preview')
    return wizard


def rows(wizard):
    return [(l.vendor.name, l.sales, l.net, l.commission, l.payout,
            l.currency.code, l.action, l.reason)
        for l in wizard.form.lines]


NO_EMAIL = "no e-mail address: print the invoice and send it by post"
MINIMUM = "under the minimum payout of 50.00"

EXPECTED = [
    ('Anne', 2, D('255.50'), D('25.55'), D('229.95'), 'USD', 'email', None),
    ('Bruno', 1, D('120.00'), D('24.00'), D('96.00'), 'USD', 'post',
        NO_EMAIL),
    ('Claire', 1, D('20.00'), D('5.00'), D('15.00'), 'USD', 'skip',
        MINIMUM),
    ('Denis', 1, D('80.00'), D('8.00'), D('72.00'), 'USD', 'error',
        "no invoice address"),
    ]


def test_list_action_without_selection(data):
    "The wizard is a list action of the sales offered with no row selected"
    from proteus import Model
    Keyword = Model.get('ir.action.keyword')
    actions = Keyword._proxy.get_keyword(
        'form_action', ('marketplace.sale', -1), {})
    payout, = [a for a in actions if a['wiz_name'] == 'marketplace.payout']
    assert payout['records'] == 'listed'
    Menu = Model.get('ir.ui.menu')
    assert Menu.find([('name', '=', "Bill Vendor Sales")])
    # started from the list with no record, it previews the period
    wizard = preview(data, [])
    assert rows(wizard) == EXPECTED
    wizard.execute('end')


def test_bill_stops_when_a_total_changed(data):
    """Bill sums each vendor's sales first, then reads its products as it
    bills it: products that no longer sum to that total stop the run, and
    nothing is billed"""
    from unittest.mock import patch

    from proteus import Model
    from proteus.config import get_config
    from trytond.exceptions import UserError
    Sale = get_config().pool.get('marketplace.sale')
    totals = Sale._payout_totals
    bruno = data['vendors']['Bruno'].id

    def changed(*args):
        # as if a sale of Bruno changed between the two reads
        return [(key, total._replace(payout=total.payout + D('0.01'))
                if key[1] == bruno else total)
            for key, total in totals(*args)]

    wizard = preview(data)
    with patch.object(Sale, '_payout_totals', side_effect=changed), \
            pytest.raises(UserError) as raised:
        wizard.execute('bill')
    assert raised.value.message == (
        "Some sales to bill changed while the payout ran, so nothing was "
        "billed. Run the payout again.")
    Invoice = Model.get('account.invoice')
    assert Invoice.find([('type', '=', 'in')]) == []
    assert {s.state for s in Model.get('marketplace.sale').find([])} == {
        'to_invoice'}


def test_preview_then_bill(data):
    "Bill bills exactly the vendors the preview shows as billed"
    from proteus import Model
    wizard = preview(data)
    assert rows(wizard) == EXPECTED
    assert wizard.form.billable is True
    wizard.execute('bill')
    assert wizard.form_state == 'done'
    invoices = sorted(wizard.form.invoices, key=lambda i: i.party.name)
    assert [(i.party.name, i.state, i.untaxed_amount) for i in invoices] == [
        ('Anne', 'posted', D('229.95')), ('Bruno', 'posted', D('96.00'))]
    bruno = invoices[1]
    assert wizard.form.not_mailed == (
        f"Bruno ({bruno.number}): the vendor has no e-mail address; "
        "print the self-billing invoice and send it by post")
    assert wizard.form.skipped.splitlines() == [
        f"Claire: 15.00 USD ({MINIMUM})",
        "Denis: 72.00 USD (no invoice address)"]
    Sale = Model.get('marketplace.sale')
    assert sorted((s.vendor.name, s.state) for s in Sale.find([])) == [
        ('Anne', 'awaiting_payment'), ('Anne', 'awaiting_payment'),
        ('Bruno', 'awaiting_payment'), ('Claire', 'to_invoice'),
        ('Denis', 'to_invoice')]

    # nothing left that can be billed: Bill is disabled
    wizard = preview(data)
    assert [(r[0], r[6]) for r in rows(wizard)] == [
        ('Claire', 'skip'), ('Denis', 'error')]
    assert wizard.form.billable is False


def test_default_period(data):
    """The period proposed is the oldest month before the current one with
    sales still to invoice, else the previous month"""
    from proteus import Model, Wizard
    from trytond.modules.marketplace_sales.tests.tools import pay_invoice
    today = data['today']()
    month = today.replace(day=1)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    wizard = Wizard('marketplace.payout')
    assert (wizard.form.from_date, wizard.form.to_date) == (
        previous, month - dt.timedelta(days=1))
    wizard.execute('end')

    # a sale of two months ago still to invoice
    older = (previous - dt.timedelta(days=1)).replace(day=1)
    # a sale is dated by the reconciliation of its customer invoice: the
    # latest of its accounting date and its payment's
    paid = older + dt.timedelta(days=3)
    invoice = data['invoice_of']([(data['Claire'], 1, D('20.00'))],
        post=False)
    invoice.invoice_date = today
    invoice.accounting_date = paid
    invoice.click('post')
    pay_invoice(invoice, data['method'], date=paid)
    Sale = Model.get('marketplace.sale')
    sale, = Sale.find([('invoice', '=', invoice.id)])
    assert (sale.date, sale.state) == (
        paid, 'to_invoice')
    wizard = Wizard('marketplace.payout')
    assert (wizard.form.from_date, wizard.form.to_date) == (
        older, previous - dt.timedelta(days=1))
    wizard.execute('end')
