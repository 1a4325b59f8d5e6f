# This file is part of the marketplace modules for Tryton.
"""Credit notes take back only what the ledger recorded (issue #29, part 1).

Each case drives Tryton as a user would (the *Credit* wizard, the pay
wizard, unreconciling a payment) and checks the marketplace sales and the
vendor invoices with amounts computed by hand.  The vendor rate is 12.5 %
and the lamp sells 33.33 without discount, so:

- 2 lamps: net 66.66, payout round(58.3275) = 58.33, commission 8.33;
- 3 lamps: net 99.99, payout round(87.49125) = 87.49, commission 12.50.

Every case has its own vendor, so that each payout bills only that case.
The dates come from the server (``ir.date.today``), never from the import
time: the file passes across midnight.
"""
import datetime as dt
from decimal import Decimal

import pytest

from trytond.exceptions import UserError

D = Decimal
RATE = D('0.125')
PRICE = D('33.33')


@pytest.fixture(scope='module')
def data(build_marketplace_db):
    from trytond.tests.test_tryton import drop_db
    from proteus import Model
    data = build_marketplace_db()
    data['today'] = Model.get('ir.date')._proxy.today({})
    yield data
    drop_db()


def Model_(name):
    from proteus import Model
    return Model.get(name)


def vendor_lamp(data, name, rate=RATE):
    "A new vendor at rate and its lamp"
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    vendor = create_vendor(name, rate)
    lamp = create_vendor_product(
        "Lamp of %s" % name, PRICE, vendor, data['category'])
    return vendor, lamp


def credit(invoice, refund):
    """Run the Credit wizard on invoice as a user would and return the
    credit note (posted by the wizard with refund, else still draft)"""
    from proteus import Wizard
    Invoice = Model_('account.invoice')
    before = {i.id for i in Invoice.find([])}
    wizard = Wizard('account.invoice.credit', [invoice])
    if refund:
        assert wizard.form.with_refund_allowed
    wizard.form.with_refund = refund
    wizard.execute('credit')
    credit_note, = Invoice.find([('id', 'not in', list(before))])
    return credit_note


def credit_quantity(invoice, quantity, data):
    """Credit quantity of the (single) line of the paid invoice, post the
    credit note and pay it back to the customer"""
    from trytond.modules.marketplace_sales.tests.tools import pay_invoice
    credit_note = credit(invoice, refund=False)
    credit_note.lines[0].quantity = -quantity
    credit_note.click('post')
    return pay_invoice(credit_note, data['method'])


def sales_of(invoice):
    Sale = Model_('marketplace.sale')
    return Sale.find([('invoice', '=', invoice.id)], order=[('id', 'ASC')])


def amounts(sale):
    return (sale.quantity, sale.net_amount, sale.commission_amount,
        sale.payout_amount)


def payout(data, vendor):
    today = data['today']
    return data['payout'](
        from_date=today - dt.timedelta(days=31), to_date=today,
        vendors=[vendor])


def vendor_invoice(vendor):
    Invoice = Model_('account.invoice')
    invoices = Invoice.find([
            ('type', '=', 'in'), ('party', '=', vendor.id)],
        order=[('id', 'DESC')])
    return invoices[0]


def invoice_lines(invoice, data):
    "(product name or 'commission', quantity, amount) of each line"
    return [(
            'commission' if l.product.id == data['commission'].id
            else l.product.template.name, l.quantity, l.amount)
        for l in invoice.lines]


def test_credit_with_refund_of_unpaid_invoice(data):
    """The Credit wizard with refund cancels a posted, unpaid invoice and
    reconciles its credit note with it: no money moved, no sale at all"""
    from proteus import Wizard
    vendor, lamp = vendor_lamp(data, "Refund Vendor")
    invoice = data['invoice_of']([(lamp, 2, PRICE)])
    assert invoice.state == 'posted'
    assert Wizard('account.invoice.credit', [invoice]).form.with_refund
    credit_note = credit(invoice, refund=True)
    invoice.reload()
    credit_note.reload()
    assert invoice.state == 'cancelled'
    assert credit_note.state == 'paid'
    assert credit_note.total_amount == D('-66.66')
    assert [l.origin for l in credit_note.lines] == list(invoice.lines)
    assert sales_of(invoice) == []
    assert sales_of(credit_note) == []
    Sale = Model_('marketplace.sale')
    assert Sale.find([('vendor', '=', vendor.id)]) == []
    # so the next payout takes nothing from the vendor
    with pytest.raises(UserError) as info:
        payout(data, vendor)
    assert info.value.message.startswith("Nothing left to bill")


def test_credit_with_refund_after_unpaid(data):
    """Paid, un-paid (its sale cancelled), then credited with refund
    ticked by the user: the cancelled sale is not an active sale, the
    credit note takes nothing"""
    vendor, lamp = vendor_lamp(data, "Unpaid Refund Vendor")
    invoice = data['sell']([(lamp, 2, PRICE)])
    sale, = sales_of(invoice)
    assert amounts(sale) == (2.0, D('66.66'), D('8.33'), D('58.33'))
    unreconcile(invoice)
    sale.reload()
    assert sale.state == 'cancelled'
    credit_note = credit(invoice, refund=True)
    invoice.reload()
    credit_note.reload()
    assert (invoice.state, credit_note.state) == ('cancelled', 'paid')
    assert sales_of(credit_note) == []
    sale.reload()
    assert sale.state == 'cancelled'


def test_full_credit_of_paid_invoice(data):
    """A full credit gives back exactly what the sale recorded, at the
    sale's rate even though the vendor's rate changed since"""
    vendor, lamp = vendor_lamp(data, "Full Credit Vendor")
    invoice = data['sell']([(lamp, 2, PRICE)])
    sale, = sales_of(invoice)
    assert amounts(sale) == (2.0, D('66.66'), D('8.33'), D('58.33'))
    vendor.marketplace_commission_rate = D('0.2')
    vendor.save()
    credit_note = credit_quantity(invoice, 2, data)
    assert credit_note.state == 'paid'
    clawback, = sales_of(credit_note)
    assert amounts(clawback) == (-2.0, D('-66.66'), D('-8.33'), D('-58.33'))
    assert clawback.commission_rate == RATE
    assert (clawback.gross_amount, clawback.discount_amount) == (
        D('-66.66'), D('0.00'))
    assert clawback.state == 'to_invoice'
    assert clawback.vendor == vendor
    # the vendor's balance is back to zero: nothing to bill
    with pytest.raises(UserError):
        payout(data, vendor)


def test_partial_credits_of_paid_invoice(data):
    """Credited one lamp at a time, then more than is left: the clawbacks
    never take more than the 3 lamps, and together give back exactly the
    recorded 99.99 / 12.50 / 87.49 (rounded on the running total:
    payout round(87.49 × 1/3) = 29.16, round(87.49 × 2/3) = 58.33)"""
    vendor, lamp = vendor_lamp(data, "Partial Credit Vendor")
    invoice = data['sell']([(lamp, 3, PRICE)])
    sale, = sales_of(invoice)
    assert amounts(sale) == (3.0, D('99.99'), D('12.50'), D('87.49'))

    first = credit_quantity(invoice, 1, data)
    clawback1, = sales_of(first)
    assert amounts(clawback1) == (-1.0, D('-33.33'), D('-4.17'), D('-29.16'))

    second = credit_quantity(invoice, 1, data)
    clawback2, = sales_of(second)
    # 58.33 - 29.16 = 29.17; commission 33.33 - 29.17 = 4.16
    assert amounts(clawback2) == (-1.0, D('-33.33'), D('-4.16'), D('-29.17'))

    # two lamps credited to the customer, one lamp left to take back
    third = credit_quantity(invoice, 2, data)
    assert third.total_amount == D('-66.66')
    clawback3, = sales_of(third)
    assert amounts(clawback3) == (-1.0, D('-33.33'), D('-4.17'), D('-29.16'))

    # nothing left: a fourth credit note makes no clawback
    fourth = credit_quantity(invoice, 1, data)
    assert fourth.state == 'paid'
    assert sales_of(fourth) == []

    clawbacks = [clawback1, clawback2, clawback3]
    for index, name in enumerate(
            ['quantity', 'net', 'commission', 'payout'], 0):
        assert sum(amounts(c)[index] for c in clawbacks) == -amounts(
            sale)[index], name
    assert sum(c.gross_amount for c in clawbacks) == -sale.gross_amount


def test_credit_of_billed_line(data):
    """A sale already billed (with its payout edited by hand before) is
    taken back as recorded, in the vendor's next payout"""
    from trytond.modules.marketplace_sales.tests.tools import pay_invoice
    vendor, lamp = vendor_lamp(data, "Billed Credit Vendor")
    invoice = data['sell']([(lamp, 2, PRICE)])
    sale, = sales_of(invoice)
    sale.payout_amount = D('50.00')
    sale.save()
    assert amounts(sale) == (2.0, D('66.66'), D('16.66'), D('50.00'))
    payout(data, vendor)
    first = vendor_invoice(vendor)
    assert invoice_lines(first, data) == [
        (lamp.template.name, 2.0, D('66.66')),
        ('commission', 1.0, D('-16.66'))]
    assert first.untaxed_amount == D('50.00')
    pay_invoice(first, data['method'])
    sale.reload()
    assert sale.state == 'paid'

    credit_note = credit_quantity(invoice, 2, data)
    clawback, = sales_of(credit_note)
    # the recorded payout, not the 58.33 of the formula
    assert amounts(clawback) == (-2.0, D('-66.66'), D('-16.66'), D('-50.00'))
    assert clawback.state == 'to_invoice'

    # the next payout: 3 new lamps (payout 87.49) less the clawback
    later = data['sell']([(lamp, 3, PRICE)])
    new_sale, = sales_of(later)
    payout(data, vendor)
    second = vendor_invoice(vendor)
    assert second != first
    # lamps: 3 - 2 = 1 for 99.99 - 66.66 = 33.33; commission
    # -(12.50 - 16.66) = 4.16; untaxed 87.49 - 50.00 = 37.49
    assert invoice_lines(second, data) == [
        (lamp.template.name, 1.0, D('33.33')),
        ('commission', 1.0, D('4.16'))]
    assert second.untaxed_amount == D('37.49')
    clawback.reload()
    new_sale.reload()
    assert (clawback.state, clawback.vendor_invoice) == (
        'awaiting_payment', second)
    assert new_sale.vendor_invoice == second


def test_credit_note_without_origin(data):
    """A credit note typed by hand (no origin) claws back the line as
    computed by the formula: 1 lamp, payout round(29.16375) = 29.16"""
    vendor, lamp = vendor_lamp(data, "Hand Credit Vendor")
    data['sell']([(lamp, 2, PRICE)])
    credit_note = data['sell']([(lamp, -1, PRICE)])
    assert credit_note.total_amount == D('-33.33')
    assert credit_note.lines[0].origin is None
    clawback, = sales_of(credit_note)
    assert amounts(clawback) == (-1.0, D('-33.33'), D('-4.17'), D('-29.16'))
    assert clawback.state == 'to_invoice'
    # balance: 58.33 - 29.16 = 29.17 for one lamp (33.33 - 4.16)
    payout(data, vendor)
    billed = vendor_invoice(vendor)
    assert invoice_lines(billed, data) == [
        (lamp.template.name, 1.0, D('33.33')),
        ('commission', 1.0, D('-4.16'))]
    assert billed.untaxed_amount == D('29.17')


def unreconcile(invoice):
    from proteus import Wizard
    Wizard('account.move.unreconcile_lines', [invoice.payment_lines[0]])
    invoice.reload()
    assert invoice.state == 'posted'


def test_unpay_and_repay_credit_note(data):
    """Un-paying the credit note cancels its clawback; paying it again
    brings the same clawback back, never a second one; a clawback whose
    share another credit note took meanwhile stays cancelled"""
    from trytond.modules.marketplace_sales.tests.tools import pay_invoice
    vendor, lamp = vendor_lamp(data, "Repay Credit Vendor")
    invoice = data['sell']([(lamp, 2, PRICE)])
    credit_note = credit_quantity(invoice, 2, data)
    clawback, = sales_of(credit_note)
    assert amounts(clawback) == (-2.0, D('-66.66'), D('-8.33'), D('-58.33'))

    unreconcile(credit_note)
    clawback.reload()
    assert clawback.state == 'cancelled'
    credit_note = pay_invoice(credit_note, data['method'])
    assert credit_note.state == 'paid'
    again, = sales_of(credit_note)
    assert again.id == clawback.id
    assert again.state == 'to_invoice'
    assert amounts(again) == (-2.0, D('-66.66'), D('-8.33'), D('-58.33'))

    # un-paid again; meanwhile a second credit note takes both lamps back
    unreconcile(credit_note)
    other = credit_quantity(invoice, 2, data)
    other_clawback, = sales_of(other)
    assert amounts(other_clawback) == (
        -2.0, D('-66.66'), D('-8.33'), D('-58.33'))
    # the first credit note paid again has nothing left to take back
    credit_note = pay_invoice(credit_note, data['method'])
    assert credit_note.state == 'paid'
    clawback.reload()
    assert clawback.state == 'cancelled'
    Sale = Model_('marketplace.sale')
    active = Sale.find([
            ('vendor', '=', vendor.id), ('state', '!=', 'cancelled')])
    assert sum(s.payout_amount for s in active) == 0
    assert sum(s.quantity for s in active) == 0


def test_partial_repay_keeps_what_is_left(data):
    """A clawback of 2 brought back when another credit note took 2 of the
    3 lamps meanwhile keeps only the lamp left: the last third, so the
    three lamps are given back exactly (99.99 / 12.50 / 87.49)"""
    from trytond.modules.marketplace_sales.tests.tools import pay_invoice
    vendor, lamp = vendor_lamp(data, "Partial Repay Vendor")
    invoice = data['sell']([(lamp, 3, PRICE)])
    credit_note = credit_quantity(invoice, 2, data)
    clawback, = sales_of(credit_note)
    # payout round(87.49 × 2/3) = 58.33, net 66.66, commission 8.33
    assert amounts(clawback) == (-2.0, D('-66.66'), D('-8.33'), D('-58.33'))
    unreconcile(credit_note)
    other = credit_quantity(invoice, 2, data)
    other_clawback, = sales_of(other)
    assert amounts(other_clawback) == (
        -2.0, D('-66.66'), D('-8.33'), D('-58.33'))
    credit_note = pay_invoice(credit_note, data['method'])
    clawback.reload()
    # the last lamp: 99.99 - 66.66, 87.49 - 58.33, 12.50 - 8.33
    assert clawback.state == 'to_invoice'
    assert amounts(clawback) == (-1.0, D('-33.33'), D('-4.17'), D('-29.16'))
