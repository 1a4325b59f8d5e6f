# This file is part of the marketplace modules for Tryton.
"""Money invariants as property tests on real invoices (issue #8, part 5).

Hypothesis draws vendors (commission and support rates, product overrides),
customer invoices (prices with four decimals, positive and negative
quantities) and whether they are credited.  Each example runs in one
transaction that is rolled back, through the real paid hook and payout:

- every sale: commission + payout = net, to the cent; the payout is within
  0.01 of the exact formula;
- every vendor invoice of the payout: untaxed total = sum of its sales'
  payouts; each revenue line = sum of its sales' net amounts; the commission
  line = minus the sum of their commissions; no sale billed twice or lost;
- a credit note of a paid invoice brings each vendor's net, commission and
  payout totals back to exactly zero (and then nothing is billed).

The formula itself is checked on 3,000 random lines by
marketplace_sales/tests/test_module.py; this file checks the records.
"""
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

CENT = Decimal('0.01')
EXAMPLES = 5

rates = st.decimals(min_value=0, max_value=1, places=4)
vendor_strategy = st.tuples(
    rates, rates, st.lists(st.one_of(st.none(), rates), min_size=1,
        max_size=2))
line_strategy = st.tuples(
    st.integers(min_value=0, max_value=5),  # product index (modulo)
    st.integers(min_value=-3, max_value=20).filter(bool),
    st.decimals(min_value=Decimal('0.01'), max_value=Decimal('5000'),
        places=4))


LOCKS = {}


class Checked:
    examples = 0
    sales = 0
    invoices = 0


@pytest.fixture(scope='module')
def base(build_marketplace_db, fresh_database):
    with fresh_database():
        yield build_marketplace_db()


def _setup(data):
    "Return the pool models and the context of the admin user"
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME
    pool = Pool(DB_NAME)
    return pool, DB_NAME


def make_vendors(pool, vendors, category_id, unit_id):
    Party = pool.get('party.party')
    Template = pool.get('product.template')
    products = []
    for n, (commission, support, overrides) in enumerate(vendors):
        vendor, = Party.create([{
                    'name': f"PBT Vendor {n}",
                    'marketplace_vendor': True,
                    'marketplace_commission_rate': commission,
                    'marketplace_support_rate': support,
                    'addresses': [('create', [{}])],
                    }])
        for m, override in enumerate(overrides):
            template, = Template.create([{
                        'name': f"PBT Product {n}.{m}",
                        'type': 'service',
                        'default_uom': unit_id,
                        'sale_uom': unit_id,
                        'list_price': Decimal('10'),
                        'salable': True,
                        'account_category': category_id,
                        'marketplace_vendor': vendor.id,
                        'marketplace_commission_rate': override,
                        'products': [('create', [{}])],
                        }])
            products.append(template.products[0])
    return products


def make_invoice(pool, customer_id, products, lines, date):
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    Party = pool.get('party.party')
    invoice = Invoice(type='out', party=Party(customer_id))
    invoice.on_change_type()
    invoice.on_change_party()
    invoice.invoice_date = date
    invoice_lines = []
    for index, quantity, price in lines:
        line = InvoiceLine(invoice=invoice, type='line')
        line.product = products[index % len(products)]
        line.on_change_product()
        line.quantity = quantity
        line.unit_price = price
        invoice_lines.append(line)
    invoice.lines = invoice_lines
    invoice.save()
    Invoice.post([invoice])
    return invoice


def pay(pool, invoice):
    "Run the paid hook (the pay wizard ends with it)"
    Invoice = pool.get('account.invoice')
    Invoice.paid([invoice])


def check_sales(sales):
    for sale in sales:
        assert sale.commission_amount + sale.payout_amount == (
            sale.net_amount), sale.id
        for amount in [sale.gross_amount, sale.net_amount,
                sale.commission_amount, sale.payout_amount,
                sale.discount_amount, sale.vendor_support_amount]:
            assert amount == amount.quantize(CENT)
        exact = (sale.gross_amount * (1 - sale.commission_rate)
            - sale.discount_amount * sale.vendor_support_rate)
        assert abs(sale.payout_amount - exact) <= CENT, sale.id
    Checked.sales += len(sales)


def totals(sales):
    result = defaultdict(lambda: [Decimal(0)] * 3)
    for sale in sales:
        total = result[sale.vendor.id]
        total[0] += sale.net_amount
        total[1] += sale.commission_amount
        total[2] += sale.payout_amount
    return {k: tuple(v) for k, v in result.items()}


@settings(max_examples=EXAMPLES, deadline=None, database=None,
    suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large])
@given(
    st.lists(vendor_strategy, min_size=1, max_size=3),
    st.lists(st.lists(line_strategy, min_size=1, max_size=5),
        min_size=1, max_size=2),
    st.booleans())
# Random draws may all take the credit-first or nothing-to-bill branch: this
# one always bills two vendors (override rate, 0 % support, several lines)
@example(
    vendors=[(Decimal('0.15'), Decimal('0.5'), [None, Decimal('0.1')]),
        (Decimal('0.125'), Decimal('0'), [None])],
    invoices=[[(0, 2, Decimal('100')), (1, 3, Decimal('33.33')),
            (2, 1, Decimal('10.5'))], [(0, 1, Decimal('5.5'))]],
    credit_first=False)
def check_example(base, vendors, invoices, credit_first):
    from trytond.transaction import Transaction, TransactionError
    pool, database = _setup(base)
    # The locks found by the first examples are taken at once by the next
    extras = LOCKS
    while True:
        # Invoice.post locks: like the dispatcher, restart with the locks
        with Transaction().start(database, 0, context={
                    'company': base['company'].id,
                    'language': 'en',
                    }, **extras) as transaction:
            try:
                run_example(pool, base, vendors, invoices, credit_first)
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            finally:
                transaction.rollback()
        break
    Checked.examples += 1


def run_example(pool, base, vendors, invoices, credit_first):
    from trytond.modules.marketplace_sales_payout.exceptions import (
        NothingToBillError)
    Sale = pool.get('marketplace.sale')
    Invoice = pool.get('account.invoice')
    Date = pool.get('ir.date')
    # The invoices are dated the server's today when the example starts; the
    # credit notes and vendor invoices get the server's date when they are
    # posted: the payout period runs from the first to the date of billing.
    start = Date.today()
    products = make_vendors(pool, vendors, base['category'].id,
        base['unit'].id)
    paid = []
    for lines in invoices:
        invoice = make_invoice(
            pool, base['customer'].id, products, lines, start)
        pay(pool, invoice)
        paid.append(invoice)
    sales = Sale.search([('invoice', 'in', [i.id for i in paid])])
    assert len(sales) == sum(len(l) for l in invoices)
    check_sales(sales)
    vendor_ids = sorted({s.vendor.id for s in sales})

    if credit_first:
        credits = Invoice.credit(paid)
        Invoice.post(credits)
        for credit in credits:
            pay(pool, credit)
        clawbacks = Sale.search([('invoice', 'in', [c.id for c in credits])])
        check_sales(clawbacks)
        assert len(clawbacks) == len(sales)
        for vendor, (net, commission, payout) in totals(
                sales + clawbacks).items():
            assert (net, commission, payout) == (0, 0, 0), vendor
        with pytest.raises(NothingToBillError):
            Sale.bill(start, Date.today(), vendor_ids)
        return

    by_vendor = totals(sales)
    billable = [v for v, t in by_vendor.items() if t[2] > 0]
    if not billable:
        with pytest.raises(NothingToBillError):
            Sale.bill(start, Date.today(), vendor_ids)
        return
    vendor_invoices, skipped = Sale.bill(start, Date.today(), vendor_ids)
    assert sorted(i.party.id for i in vendor_invoices) == sorted(billable)
    assert sorted(v.id for v, _, _ in skipped) == sorted(
        set(vendor_ids) - set(billable))
    sales = Sale.browse([s.id for s in sales])
    for invoice in vendor_invoices:
        billed = [s for s in sales if s.vendor_invoice == invoice]
        assert invoice.state == 'posted'
        assert invoice.untaxed_amount == sum(s.payout_amount for s in billed)
        assert invoice.untaxed_amount == by_vendor[invoice.party.id][2]
        for line in invoice.lines:
            of_line = [s for s in billed if s.vendor_invoice_line == line]
            if of_line:
                assert line.amount == sum(s.net_amount for s in of_line)
                assert {s.product for s in of_line} == {line.product}
            else:
                assert line.product.id == base['commission'].id
                assert line.amount == -sum(
                    s.commission_amount for s in billed)
        Checked.invoices += 1
    # nothing billed twice, nothing lost
    for sale in sales:
        if sale.vendor.id in billable:
            assert sale.state == 'awaiting_payment'
            assert sale.vendor_invoice in vendor_invoices
        else:
            assert sale.state == 'to_invoice'
            assert not sale.vendor_invoice

    # a credit note after billing: clawbacks cancel what was billed
    credits = Invoice.credit(paid)
    Invoice.post(credits)
    for credit in credits:
        pay(pool, credit)
    clawbacks = Sale.search([('invoice', 'in', [c.id for c in credits])])
    check_sales(clawbacks)
    assert {s.state for s in clawbacks} == {'to_invoice'}
    for vendor, total in totals(clawbacks).items():
        assert tuple(-t for t in total) == by_vendor[vendor]


def test_money_invariants_on_records(base):
    check_example(base)
    print("examples:", Checked.examples, "sales checked:", Checked.sales,
        "vendor invoices checked:", Checked.invoices)
    assert Checked.examples >= EXAMPLES
    assert Checked.invoices > 0
