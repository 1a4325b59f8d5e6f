# This file is part of the marketplace modules for Tryton.
"""A hand edit keeps commission + payout = net (issue #29, part 5).

The desk sells at 89.90 for a vendor at 20 %: 2 desks make a sale of net
179.80, commission 35.96, payout round(179.80 × 0.8) = 143.84.  Each case
edits one amount (in the form, where the other amount follows at once, and
through RPC), then checks the identity, the vendor invoice lines and the
totals of the self-billing document, all read from the same stored amounts.
"""
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError

D = Decimal
PRICE = D('89.90')


@pytest.fixture(scope='module')
def data(build_marketplace_db):
    from trytond.tests.test_tryton import drop_db
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    data = build_marketplace_db()
    data['today'] = Model.get('ir.date')._proxy.today({})
    vendor = create_vendor("Edit Vendor", D('0.2'))
    data['vendor'] = vendor
    data['desk'] = create_vendor_product(
        "Desk", PRICE, vendor, data['category'])
    yield data
    drop_db()


def Sale():
    from proteus import Model
    return Model.get('marketplace.sale')


def new_sale(data, quantity=2):
    invoice = data['sell']([(data['desk'], quantity, PRICE)])
    sale, = Sale().find([('invoice', '=', invoice.id)])
    return sale


def amounts(sale):
    return sale.net_amount, sale.commission_amount, sale.payout_amount


def check_identity(sale):
    assert sale.commission_amount + sale.payout_amount == sale.net_amount


@pytest.mark.parametrize('field, value, expected', [
        # payout 133.84: commission 179.80 - 133.84 = 45.96
        ('payout_amount', D('133.84'),
            (D('179.80'), D('45.96'), D('133.84'))),
        # commission 40.00: payout 179.80 - 40.00 = 139.80
        ('commission_amount', D('40.00'),
            (D('179.80'), D('40.00'), D('139.80'))),
        # net 170.00: the payout stays, commission 170.00 - 143.84 = 26.16
        ('net_amount', D('170.00'), (D('170.00'), D('26.16'), D('143.84'))),
        ])
def test_edit_in_form(data, field, value, expected):
    "In the form the other amount follows as soon as one is typed"
    sale = new_sale(data)
    assert amounts(sale) == (D('179.80'), D('35.96'), D('143.84'))
    setattr(sale, field, value)
    assert amounts(sale) == expected
    sale.save()
    sale.reload()
    assert amounts(sale) == expected
    assert sale.edited
    check_identity(sale)


@pytest.mark.parametrize('values, expected', [
        ({'payout_amount': D('133.84')},
            (D('179.80'), D('45.96'), D('133.84'))),
        ({'commission_amount': D('40.00')},
            (D('179.80'), D('40.00'), D('139.80'))),
        # a JSON client may send a float
        ({'payout_amount': 133.84},
            (D('179.80'), D('45.96'), D('133.84'))),
        ({'net_amount': D('170.00')},
            (D('170.00'), D('26.16'), D('143.84'))),
        # net and payout: commission 200.00 - 150.00
        ({'net_amount': D('200.00'), 'payout_amount': D('150.00')},
            (D('200.00'), D('50.00'), D('150.00'))),
        # net and commission: payout 200.00 - 30.00
        ({'net_amount': D('200.00'), 'commission_amount': D('30.00')},
            (D('200.00'), D('30.00'), D('170.00'))),
        # both, adding up to the stored net: accepted as typed
        ({'commission_amount': D('30.00'), 'payout_amount': D('149.80')},
            (D('179.80'), D('30.00'), D('149.80'))),
        # all three adding up
        ({'net_amount': D('100.00'), 'commission_amount': D('20.00'),
                'payout_amount': D('80.00')},
            (D('100.00'), D('20.00'), D('80.00'))),
        ])
def test_edit_through_rpc(data, values, expected):
    "A write through RPC keeps the identity as the form does"
    sale = new_sale(data)
    Sale()._proxy.write([sale.id], values, {})
    sale.reload()
    assert amounts(sale) == expected
    assert sale.edited
    check_identity(sale)


def test_edit_several_sales_at_once(data):
    "One payout written on two sales: each commission from its own net"
    one, three = new_sale(data, 1), new_sale(data, 3)
    # 1 desk: net 89.90, payout 71.92; 3 desks: net 269.70, payout 215.76
    assert amounts(one) == (D('89.90'), D('17.98'), D('71.92'))
    assert amounts(three) == (D('269.70'), D('53.94'), D('215.76'))
    Sale()._proxy.write([one.id, three.id], {'payout_amount': D('70.00')}, {})
    one.reload()
    three.reload()
    assert amounts(one) == (D('89.90'), D('19.90'), D('70.00'))
    assert amounts(three) == (D('269.70'), D('199.70'), D('70.00'))


@pytest.mark.parametrize('values, shown', [
        ({'commission_amount': D('30.00'), 'payout_amount': D('140.00')},
            ('$30.00', '$140.00', '$170.00', '$179.80')),
        ({'net_amount': D('100.00'), 'commission_amount': D('30.00'),
                'payout_amount': D('80.00')},
            ('$30.00', '$80.00', '$110.00', '$100.00')),
        ])
def test_edit_that_does_not_add_up(data, unchanged, values, shown):
    """Both amounts typed that do not add up to the net amount: refused,
    saying which amounts must change, and nothing is written"""
    sale = new_sale(data)
    with unchanged():
        with pytest.raises(ValidationError) as info:
            Sale()._proxy.write([sale.id], values, {})
    commission, payout, total, net = shown
    assert info.value.message == (
        f'The commission ({commission}) and the payout ({payout}) of '
        f'marketplace sale "{sale.rec_name}" add up to {total}, not to its '
        f'net amount ({net}). Change the commission or the payout so that '
        'commission + payout = net amount; when you change only one of '
        'them, the other follows.')
    sale.reload()
    assert amounts(sale) == (D('179.80'), D('35.96'), D('143.84'))
    assert not sale.edited


def test_recompute_after_edit(data):
    "The Recompute button brings back the formula's amounts"
    sale = new_sale(data)
    sale.payout_amount = D('133.84')
    sale.save()
    sale.click('recompute')
    sale.reload()
    assert amounts(sale) == (D('179.80'), D('35.96'), D('143.84'))
    assert not sale.edited


def document_rows(invoice):
    "The rows of every table of the self-billing document (as ODT)"
    from lxml import etree
    from proteus import Model, Report
    ActionReport = Model.get('ir.action.report')
    action, = ActionReport.find(
        [('report_name', '=', 'marketplace.payout.report')])
    odt_action, = action.duplicate(default={'extension': ''})
    extension, content, _, _ = Report('marketplace.payout.report').execute(
        [invoice], {'action_id': odt_action.id})
    assert extension == 'odt'
    tree = etree.fromstring(
        zipfile.ZipFile(io.BytesIO(content)).read('content.xml'))
    ns = {'table': 'urn:oasis:names:tc:opendocument:xmlns:table:1.0'}
    return [[''.join(c.itertext()).strip()
            for c in row.iterfind('table:table-cell', ns)]
        for row in tree.iterfind('.//table:table-row', ns)]


def test_payout_of_edited_sales(data):
    """The vendor invoice and its document come from the stored amounts:
    commission line = minus the stored commissions, untaxed total = the
    payouts, the breakdown's totals the same amounts"""
    from proteus import Model
    Invoice = Model.get('account.invoice')
    Sale_ = Sale()
    # bill what the other cases left first
    today = data['today']
    period = dict(from_date=today - dt.timedelta(days=31), to_date=today,
        vendors=[data['vendor']])
    try:
        data['payout'](**period)
    except UserError:
        pass
    edited = new_sale(data)
    edited.payout_amount = D('133.84')
    edited.save()
    other = new_sale(data, 1)
    other.commission_amount = D('10.00')
    other.save()
    # 179.80 + 89.90 = 269.70 net; commissions 45.96 + 10.00 = 55.96;
    # payouts 133.84 + 79.90 = 213.74
    assert amounts(other) == (D('89.90'), D('10.00'), D('79.90'))
    data['payout'](**period)
    invoice, = Invoice.find([
            ('type', '=', 'in'), ('party', '=', data['vendor'].id)],
        order=[('id', 'DESC')], limit=1)
    assert [(l.product.template.name, l.quantity, l.amount)
        for l in invoice.lines] == [
        ("Desk", 3.0, D('269.70')), ("Commission", 1.0, D('-55.96'))]
    assert invoice.untaxed_amount == D('213.74')
    billed = Sale_.find([('vendor_invoice', '=', invoice.id)])
    assert {s.id for s in billed} == {edited.id, other.id}
    assert sum(s.commission_amount for s in billed) == D('55.96')
    assert sum(s.payout_amount for s in billed) == invoice.untaxed_amount

    rows = document_rows(invoice)
    # the breakdown: one row per sale, then its totals
    total, = [r for r in rows
        if r and r[0] == 'Total' and '2 sales' in r]
    assert total[-3:] == ['$269.70', '$55.96', '$213.74']
    assert sorted(r[-3:] for r in rows if len(r) == 7 and r[2] == "Desk") == [
        ['$179.80', '$45.96', '$133.84'], ['$89.90', '$10.00', '$79.90']]
    commission, = [r for r in rows if r and r[0] == 'Commission']
    assert commission[-1] == '-$55.96'
