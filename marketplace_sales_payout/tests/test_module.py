# This file is part of the marketplace modules for Tryton.
import datetime as dt
from decimal import Decimal
from unittest.mock import patch

from trytond.modules.account.tests import create_chart
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.marketplace_sales_payout.exceptions import (
    NothingToBillError, PayoutError)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, TransactionError


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
    def test_payout_plans_with_values(self):
        """On PostgreSQL the payout's queries are planned with their values
        and without merge joins"""
        from trytond import backend
        from trytond.exceptions import UserError
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        if backend.name != 'postgresql':
            self.skipTest("plan_cache_mode is PostgreSQL's")
        cursor = Transaction().connection.cursor()

        def show(setting):
            cursor.execute('SHOW %s' % setting)
            return cursor.fetchone()[0]

        self.assertEqual(show('plan_cache_mode'), 'auto')
        self.assertEqual(show('enable_mergejoin'), 'on')
        with self.assertRaises(UserError):
            # no payout journal configured, nothing to bill
            Sale.bill(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
        self.assertEqual(show('plan_cache_mode'), 'force_custom_plan')
        self.assertEqual(show('enable_mergejoin'), 'off')

    @with_transaction()
    def test_store_log_records_by_chunks(self):
        "The audit log the payout queues is saved whole, by chunks"
        from trytond.modules.marketplace_sales_payout import bulk
        pool = Pool()
        Log = pool.get('ir.model.log')
        User = pool.get('res.user')
        transaction = Transaction()
        admin, = User.search([('login', '=', 'admin')])
        count = 2 * bulk.BROWSE + 50  # two full chunks and a short one
        transaction.log_records.extend(
            Log(resource=admin, event='transition', target=f'state:{i}')
            for i in range(count))

        bulk.store_log_records(transaction)

        self.assertEqual(transaction.log_records, [])
        logs = Log.search([('target', 'like', 'state:%')])
        self.assertEqual(len(logs), 450)
        self.assertEqual(
            {l.target for l in logs}, {f'state:{i}' for i in range(count)})
        self.assertEqual({l.resource for l in logs}, {admin})

    @with_transaction()
    def test_clear_record_caches(self):
        "The records read are dropped from the transaction, read again after"
        from trytond.modules.marketplace_sales_payout import bulk
        pool = Pool()
        User = pool.get('res.user')
        transaction = Transaction()
        admin, = User.search([('login', '=', 'admin')])
        self.assertEqual(admin.login, 'admin')
        cache = transaction.get_cache()
        self.assertIn(admin.id, cache['res.user'])

        bulk.clear_record_caches(transaction)

        self.assertEqual(
            [len(c) for c in transaction.cache.values()],
            [0] * len(transaction.cache))
        self.assertNotIn('res.user', cache)
        self.assertEqual(User(admin.id).login, 'admin')

    def test_invoice_chunks(self):
        "Vendors are billed by chunks bounded in invoices and in lines"
        from trytond.modules.marketplace_sales_payout import bulk
        # (key, products): a vendor of n products makes n + 1 lines
        to_bill = [(i, [None] * n) for i, n in enumerate(
                    [3] * 12 + [1200, 2] + [400] * 3)]
        with patch.object(bulk, 'INVOICE_CHUNK', 10), \
                patch.object(bulk, 'LINE_CHUNK', 1000):
            chunks = list(bulk.invoice_chunks(to_bill))
        self.assertEqual(
            [[k for k, _ in c] for c in chunks],
            [list(range(10)), [10, 11], [12], [13, 14, 15], [16]])
        self.assertEqual(
            [k for c in chunks for k, _ in c], list(range(17)))

    @with_transaction()
    def test_tryton_locks(self):
        "The locks Tryton registers in its transaction are where bulk reads"
        from trytond.modules.marketplace_sales_payout import bulk
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        Sequence = pool.get('ir.sequence.strict')
        transaction = Transaction()
        tables, records = bulk.tryton_locks(transaction)
        self.assertIsInstance(tables, set)
        self.assertEqual(records[Sale._table], set())

        bulk.lock(Sale._table, [3, 1])
        bulk.lock(Sequence._table)

        # Tryton's own checks see the locks registered by bulk.lock
        transaction.lock_records(Sale._table, [1, 3])
        transaction.lock_table(Sequence._table)
        with self.assertRaises(TransactionError):
            transaction.lock_records(Sale._table, [2])
        self.assertEqual(records[Sale._table], {1, 3})
        self.assertIn(Sequence._table, tables)

    @with_transaction()
    def test_lock_where(self):
        "The rows of a query are locked NOWAIT, or the user is told to wait"
        from sql import For, Literal

        from trytond import backend
        from trytond.modules.marketplace_sales_payout import bulk
        Model = Pool().get('ir.model')
        if backend.name != 'postgresql':
            self.skipTest("SQLite locks the whole database on write")
        database = Transaction().database
        model = Model.__table__()
        ids = [m.id for m in Model.search([], order=[('id', 'ASC')])]
        first, second = ids[:2], ids[2:4]
        other = database.get_connection()
        try:
            def try_lock(ids):
                "Whether the other connection can lock the rows of ids now"
                cursor = other.cursor()
                try:
                    cursor.execute(*model.select(Literal(1),
                            where=model.id.in_(ids),
                            for_=For('UPDATE', nowait=True)))
                except backend.DatabaseOperationalError:
                    other.rollback()
                    return False
                other.rollback()
                return True

            bulk.lock_where(model, model.id.in_(
                    model.select(model.id, where=model.id.in_(first))))
            self.assertEqual(
                (try_lock(first[:1]), try_lock(first[1:]),
                    try_lock(second)), (False, False, True))

            # rows held by another transaction: a few tries, then the
            # message that a payout is running, the transaction usable
            other.cursor().execute(*model.select(Literal(1),
                    where=model.id.in_(second), for_=For('UPDATE')))
            with patch.object(bulk, 'LOCK_ATTEMPTS', 2), \
                    patch.object(bulk, 'LOCK_DELAY', 0), \
                    self.assertRaises(PayoutError) as raised:
                bulk.lock_where(model, model.id.in_(second))
            self.assertIn('already running', raised.exception.message)
            self.assertEqual(Model.search([('id', 'in', second)],
                    order=[('id', 'ASC')]), Model.browse(second))
        finally:
            other.rollback()
            database.put_connection(other)

    @with_transaction()
    def test_streamed(self):
        "A streamed cursor reads what a plain cursor reads, in its order"
        from trytond import backend
        from trytond.modules.marketplace_sales_payout import bulk
        Model = Pool().get('ir.model')
        model = Model.__table__()
        query = model.select(model.name, model.id,
            order_by=[model.module.desc, model.name.asc, model.id.asc])
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        expected = [tuple(r) for r in cursor]

        with bulk.streamed() as streamed:
            streamed.execute(*query)
            rows = [tuple(r) for r in streamed]

        self.assertEqual(rows, expected)
        self.assertGreater(len(rows), 100)
        if backend.name == 'postgresql':
            # a server-side cursor, planned to read all its rows
            self.assertTrue(streamed.name.startswith('marketplace_streamed'))
            self.assertTrue(streamed.closed)
            cursor.execute('SHOW cursor_tuple_fraction')
            self.assertEqual(cursor.fetchone()[0], '1')

    @with_transaction()
    def test_shared_taxes(self):
        "The payout reads each tax once until something is written"
        from trytond.modules.marketplace_sales_payout.tax import shared_taxes
        pool = Pool()
        Account = pool.get('account.account')
        Tax = pool.get('account.tax')
        today = dt.date.today()

        company = create_company()
        with set_company(company):
            create_chart(company)
            account, = Account.search([('code', '=', '6.3.6')])
            child = Tax(name='VAT 20', description='VAT 20',
                type='percentage', rate=Decimal('0.2'),
                invoice_account=account, credit_note_account=account)
            child.save()
            parent = Tax(name='VAT', description='VAT', type='none',
                invoice_account=account, credit_note_account=account,
                childs=[child])
            parent.save()

            def compute():
                # as TaxableMixin._get_taxes: browsed anew for each line
                return [(r['tax'], r['base'], r['amount'])
                    for r in Tax.compute(
                        Tax.browse([parent.id]), Decimal('100'), 2, today)]

            with shared_taxes():
                (first, base, amount), = compute()
                self.assertEqual((first, base, amount),
                    (child, Decimal('200'), Decimal('40.0')))
                (second, _, _), = compute()
                # the parent instance and its childs are reused
                self.assertIs(second, first)
                with Transaction().set_context(language='fr'):
                    (other, _, _), = compute()
                self.assertIsNot(other, first)

                # any write: the taxes are read again, changes included
                Tax.write([child], {'rate': Decimal('0.1')})
                fixed = Tax(name='Eco', description='Eco', type='fixed',
                    amount=Decimal('1.5'), invoice_account=account,
                    credit_note_account=account, parent=parent)
                fixed.save()
                self.assertEqual(
                    [(t.id, b, a) for t, b, a in compute()], [
                        (child.id, Decimal('200'), Decimal('20.0')),
                        (fixed.id, Decimal('200'), Decimal('3.0')),
                        ])
                (third, _, _), _ = compute()
                self.assertIsNot(third, first)

            # outside the block, stock: a new instance each time
            (outside, _, _), _ = compute()
            (again, _, _), _ = compute()
            self.assertIsNot(again, outside)

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

    @with_transaction()
    def test_invoice_marketplace_tabs(self):
        "Customer invoices show the sales made, vendor invoices those billed"
        from lxml import etree

        from trytond.pyson import PYSONDecoder
        Invoice = Pool().get('account.invoice')
        arch = etree.fromstring(
            Invoice.fields_view_get(view_type='form')['arch'])
        pages = {p.get('name'): p.get('states') for p in arch.iter('page')}
        for kind, shown in [
                ('out', 'marketplace_sales'),
                ('in', 'marketplace_billed_sales')]:
            visible = {
                name for name in [
                    'marketplace_sales', 'marketplace_billed_sales']
                if not PYSONDecoder({'type': kind}).decode(
                    pages[name]).get('invisible')}
            self.assertEqual(visible, {shown})


del ModuleTestCase
