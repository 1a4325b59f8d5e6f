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


del ModuleTestCase
