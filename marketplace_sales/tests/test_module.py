# This file is part of the marketplace modules for Tryton.
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.currency.tests import create_currency
from trytond.modules.marketplace_sales.marketplace import compute_amounts
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

CENT = Decimal('0.01')
rates = st.decimals(min_value=0, max_value=1, places=4)
prices = st.decimals(min_value=0, max_value=100000, places=4)
quantities = st.integers(min_value=-1000, max_value=1000)
discounts = st.decimals(min_value=0, max_value=1, places=4)


class MarketplaceSalesTestCase(CompanyTestMixin, ModuleTestCase):
    "Test marketplace_sales module"
    module = 'marketplace_sales'

    @with_transaction()
    def test_worked_examples(self):
        "Worked examples A and B of doc/design.rst"
        currency = create_currency('USD')
        a = compute_amounts(
            currency, Decimal('100'), Decimal(2), Decimal('180.00'),
            Decimal('0.15'), Decimal('0.5'))
        self.assertEqual(a, {
                'gross_amount': Decimal('200.00'),
                'discount_amount': Decimal('20.00'),
                'discount_rate': Decimal('0.1000'),
                'vendor_support_amount': Decimal('10.00'),
                'payout_amount': Decimal('160.00'),
                'commission_amount': Decimal('20.00'),
                })
        b = compute_amounts(
            currency, Decimal('33.33'), Decimal(3), Decimal('99.99'),
            Decimal('0.125'), Decimal(0))
        self.assertEqual(
            (b['gross_amount'], b['payout_amount'], b['commission_amount']),
            (Decimal('99.99'), Decimal('87.49'), Decimal('12.50')))

    @with_transaction()
    def test_tax_rate_dated_children(self):
        "The tax rate counts the child taxes valid at the invoice's tax date"
        Sale = Pool().get('marketplace.sale')

        def tax(type_, rate=None, childs=(), start=None, end=None):
            return SimpleNamespace(type=type_, rate=rate, childs=list(childs),
                start_date=start, end_date=end)
        # The French chart: a parent VAT with a 19.6 % child until 2013 and
        # a 20 % child from 2014
        vat = tax('none', childs=[
                tax('percentage', Decimal('0.196'),
                    end=dt.date(2013, 12, 31)),
                tax('percentage', Decimal('0.20'), start=dt.date(2014, 1, 1)),
                ])
        eco = tax('percentage', Decimal('0.01'))
        for date, taxes, expected in [
                (dt.date(2026, 11, 27), [vat], Decimal('0.20')),
                (dt.date(2013, 6, 1), [vat], Decimal('0.196')),
                (dt.date(2026, 11, 27), [vat, eco], Decimal('0.21')),
                (dt.date(2026, 11, 27), [], Decimal('0')),
                ]:
            line = SimpleNamespace(
                taxes=taxes, invoice=SimpleNamespace(tax_date=date))
            self.assertEqual(Sale._tax_rate(line), expected, (date, expected))

    @with_transaction()
    def test_money_invariants(self):
        "commission + payout = net, to the cent, on random lines"
        currency = create_currency('USD')

        @settings(max_examples=3000, deadline=None, database=None)
        @given(prices, quantities, discounts, rates, rates)
        def check(base_price, quantity, discount, rate, support):
            quantity = Decimal(quantity)
            unit_price = (base_price * (1 - discount)).quantize(
                Decimal('0.0001'))
            net = currency.round(unit_price * quantity)
            values = compute_amounts(
                currency, base_price, quantity, net, rate, support)
            gross = values['gross_amount']
            payout = values['payout_amount']
            commission = values['commission_amount']
            # every stored amount is rounded to the cent
            for name, amount in values.items():
                if name != 'discount_rate':
                    self.assertEqual(amount.quantize(CENT), amount, name)
            self.assertEqual(commission + payout, net)
            self.assertEqual(values['discount_amount'], gross - net)
            # rounding never drifts more than a cent from the exact formula
            exact = (gross * (1 - rate)
                - values['discount_amount'] * support)
            self.assertLessEqual(abs(payout - exact), Decimal('0.01'))
            # a credit note of the same line brings everything back to zero
            opposite = compute_amounts(
                currency, base_price, -quantity, -net, rate, support)
            for name, amount in values.items():
                if name == 'discount_rate':
                    self.assertEqual(amount, opposite[name])
                else:
                    self.assertEqual(amount + opposite[name], 0, name)
            if not quantity:
                self.assertEqual(set(values.values()), {Decimal(0)})
            if support == 1:
                # the vendor bears the whole discount: the marketplace keeps
                # its full rate of the gross amount
                self.assertLessEqual(
                    abs(commission - gross * rate), Decimal('0.01'))
            if support == 0:
                self.assertEqual(payout, currency.round(gross * (1 - rate)))
        check()



def test_paid_hook_sql_and_orm_store_the_same_sales():
    """The paid hook run again for paid invoices makes nothing new.  Where the
    database hands out ids in advance (PostgreSQL) the paid hook inserts its
    sales with one SQL query, where triggers watch their creation (or their
    history is kept) the ORM creates them: both store the same values, for a
    discounted sale line, a line without discount and the clawback of a
    credit note"""
    from proteus import Model, Wizard
    from trytond.model import fields
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.marketplace_sales.tests.tools import (
        create_accounting_category, create_payment_method, create_vendor,
        create_vendor_product, pay_invoice)
    from trytond.tests.test_tryton import drop_db
    from trytond.tests.tools import activate_modules
    from trytond.transaction import Transaction

    drop_db()
    try:
        config = activate_modules(
            'marketplace_sales', create_company, create_chart)
        Date = Model.get('ir.date')
        today = Date.today(config.context)
        fiscalyear = set_fiscalyear_invoice_sequences(
            create_fiscalyear(today=today))
        fiscalyear.click('create_period')
        accounts = get_accounts()
        method = create_payment_method()
        category = create_accounting_category(accounts=accounts)
        alice = create_vendor("Alice", Decimal('0.15'), Decimal('0.5'))
        bob = create_vendor("Bob", Decimal('0.125'))
        chair = create_vendor_product(
            "Chair", Decimal('100'), alice, category)
        lamp = create_vendor_product("Lamp", Decimal('33.33'), bob, category)
        Party = Model.get('party.party')
        customer = Party(name="Customer")
        customer.save()

        Sale = Model.get('sale.sale')
        sale = Sale(party=customer, invoice_method='order')
        line = sale.lines.new()
        line.product = chair
        line.quantity = 2
        line.discount_rate = Decimal('0.10')
        line = sale.lines.new()
        line.product = lamp
        line.quantity = 3
        sale.click('quote')
        sale.click('confirm')
        invoice, = sale.invoices
        invoice.click('post')
        pay_invoice(invoice, method, date=today)
        credit = Wizard('account.invoice.credit', [invoice])
        credit.execute('credit')
        Invoice = Model.get('account.invoice')
        credit_note, = Invoice.find([('id', '!=', invoice.id)])
        for line in list(credit_note.lines):
            if line.product != chair:
                credit_note.lines.remove(line)
        credit_note.lines[0].quantity = -1
        credit_note.save()
        credit_note.click('post')
        pay_invoice(credit_note, method)
        MarketplaceSale = Model.get('marketplace.sale')
        assert len(MarketplaceSale.find([])) == 3

        # the paid hook running twice for the same invoices makes nothing
        with Transaction().start(config.database_name, 0) as transaction:
            Ledger = Pool().get('marketplace.sale')
            assert Ledger.create_from_invoices(
                Pool().get('account.invoice').browse(
                    [invoice.id, credit_note.id]),
                lambda line: today) == []
            transaction.commit()
        assert len(MarketplaceSale.find([])) == 3

        def sales_again(by_sql):
            "Delete the sales and make them again, in a rolled back transaction"
            with Transaction().start(config.database_name, 0) as transaction:
                pool = Pool()
                Ledger = pool.get('marketplace.sale')
                Invoice_ = pool.get('account.invoice')
                ids = [invoice.id, credit_note.id]
                table = Ledger.__table__()
                transaction.connection.cursor().execute(
                    *table.delete(where=table.invoice.in_(ids)))
                Ledger._by_sql = classmethod(lambda cls, mode: by_sql)
                try:
                    sales = Ledger.create_from_invoices(
                        Invoice_.browse(ids), lambda line: today)
                finally:
                    del Ledger._by_sql
                names = sorted(
                    n for n, f in Ledger._fields.items()
                    if n not in {'id', 'create_date'}
                    and not isinstance(f, fields.Function))
                return names, sorted(
                    tuple(r[n] for n in names)
                    for r in Ledger.read([s.id for s in sales], names))

        names, by_sql = sales_again(True)
        _, by_orm = sales_again(False)
        assert by_sql == by_orm
        rows = [dict(zip(names, row)) for row in by_sql]
        assert sorted(
            (r['quantity'], r['base_price'], r['net_amount'],
                r['commission_amount'], r['payout_amount'])
            for r in rows) == [
            (-1.0, Decimal('100'), Decimal('-90.00'), Decimal('-10.00'),
                Decimal('-80.00')),
            (2.0, Decimal('100'), Decimal('180.00'), Decimal('20.00'),
                Decimal('160.00')),
            (3.0, Decimal('33.33'), Decimal('99.99'), Decimal('12.50'),
                Decimal('87.49')),
            ]
        # the transactions were rolled back
        assert len(MarketplaceSale.find([])) == 3
    finally:
        drop_db()


del ModuleTestCase
