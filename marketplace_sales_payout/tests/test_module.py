# This file is part of the marketplace modules for Tryton.
import datetime as dt
from unittest.mock import patch

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.marketplace_sales_payout.exceptions import (
    NothingToBillError)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


class MarketplaceSalesPayoutTestCase(CompanyTestMixin, ModuleTestCase):
    "Test marketplace_sales_payout module"
    module = 'marketplace_sales_payout'

    @with_transaction()
    def test_cron_bills_previous_month(self):
        "The scheduled payout bills the whole previous month"
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        Date = pool.get('ir.date')
        calls = []

        def payout(from_date, to_date, vendors=None):
            calls.append((from_date, to_date, vendors))
            return [], [], []

        for today, expected in [
                (dt.date(2026, 3, 1), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
                (dt.date(2026, 1, 17), (dt.date(2025, 12, 1), dt.date(2025, 12, 31))),
                (dt.date(2024, 3, 31), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
                ]:
            calls.clear()
            with patch.object(Date, 'today', return_value=today), \
                    patch.object(Sale, 'payout', side_effect=payout):
                Sale.payout_previous_month()
            self.assertEqual(calls, [expected + (None,)])

    @with_transaction()
    def test_cron_nothing_to_bill(self):
        "A month with nothing to bill is not an error for the scheduler"
        pool = Pool()
        Sale = pool.get('marketplace.sale')

        def payout(from_date, to_date, vendors=None):
            raise NothingToBillError("nothing")

        with patch.object(Sale, 'payout', side_effect=payout) as mock:
            self.assertIsNone(Sale.payout_previous_month())
        self.assertEqual(mock.call_count, 1)

    @with_transaction()
    def test_store_log_records_by_chunks(self):
        "The audit log the payout queues is saved whole, by chunks"
        from trytond.modules.marketplace_sales_payout import payout
        from trytond.transaction import Transaction
        pool = Pool()
        Log = pool.get('ir.model.log')
        User = pool.get('res.user')
        transaction = Transaction()
        admin, = User.search([('login', '=', 'admin')])
        count = 2 * payout.BROWSE + 50  # two full chunks and a short one
        transaction.log_records.extend(
            Log(resource=admin, event='transition', target=f'state:{i}')
            for i in range(count))

        payout._store_log_records(transaction)

        self.assertEqual(transaction.log_records, [])
        logs = Log.search([('target', 'like', 'state:%')])
        self.assertEqual(len(logs), 450)
        self.assertEqual(
            {l.target for l in logs}, {f'state:{i}' for i in range(count)})
        self.assertEqual({l.resource for l in logs}, {admin})

    def test_invoice_chunks(self):
        "Vendors are billed by chunks bounded in invoices and in lines"
        from trytond.modules.marketplace_sales_payout import payout
        # (key, products): a vendor of n products makes n + 1 lines
        to_bill = [(i, [None] * n) for i, n in enumerate(
                    [3] * 12 + [1200, 2] + [400] * 3)]
        with patch.object(payout, 'INVOICE_CHUNK', 10), \
                patch.object(payout, 'LINE_CHUNK', 1000):
            chunks = list(payout._invoice_chunks(to_bill))
        self.assertEqual(
            [[k for k, _ in c] for c in chunks],
            [list(range(10)), [10, 11], [12], [13, 14, 15], [16]])
        self.assertEqual(
            [k for c in chunks for k, _ in c], list(range(17)))

    @with_transaction()
    def test_cron_method_registered(self):
        "The scheduled action is known to ir.cron and off by default"
        pool = Pool()
        Cron = pool.get('ir.cron')
        self.assertIn('marketplace.sale|payout_previous_month',
            dict(Cron.method.selection))
        crons = Cron.search([
                ('method', '=', 'marketplace.sale|payout_previous_month'),
                ('active', 'in', [True, False]),
                ])
        self.assertEqual([c.active for c in crons], [False])


del ModuleTestCase
