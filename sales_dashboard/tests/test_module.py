# This file is part of the marketplace modules for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SalesDashboardTestCase(CompanyTestMixin, ModuleTestCase):
    "Test sales_dashboard module"
    module = 'sales_dashboard'



def test_stored_amounts_read_only_the_new_moves():
    """The cron stores the amounts of each period; a new server process
    reads them instead of the move lines, and after new posted moves it
    queries the lines of these moves only; a move posted with a lower id
    than the stored ones has its month computed again from its lines"""
    import datetime as dt
    from decimal import Decimal

    from proteus import Model
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.sales_dashboard import dashboard
    from trytond.tests.test_tryton import drop_db
    from trytond.tests.tools import activate_modules
    from trytond.transaction import Transaction

    drop_db()
    try:
        config = activate_modules(
            ['account_fr', 'sales_management', 'sales_dashboard'],
            create_company)
        Company = Model.get('company.company')
        company, = Company.find()
        today = Model.get('ir.date').today(config.context)
        fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(
                company,
                (dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))))
        fiscalyear.click('create_period')
        create_chart(company)
        accounts = get_accounts(company)
        bank = accounts['cash']
        january = dt.date(today.year, 1, 15)
        march = dt.date(today.year, 3, 15)
        Journal = Model.get('account.journal')
        journal, = Journal.find([('type', '=', 'cash')])
        Move = Model.get('account.move')

        def move(date, account, amount, post=True):
            move = Move(journal=journal, date=date)
            if amount > 0:
                move.lines.new(account=account, credit=amount)
                move.lines.new(account=bank, debit=amount)
            else:
                move.lines.new(account=account, debit=-amount)
                move.lines.new(account=bank, credit=-amount)
            if post:
                move.click('post')
            else:
                move.save()
            return move

        draft = move(january, accounts['expense'], -Decimal(5), post=False)
        move(march, accounts['revenue'], Decimal(400))
        move(january, accounts['expense'], -Decimal(30))

        Period = Model.get('account.period')
        month_of = {p.id: p.start_date.month for p in Period.find([])}
        AmountClass = config.pool.get('sale.dashboard.amount')
        queries = []
        amounts_query = AmountClass.amounts_query

        def spy(company_id, category, period_ids, after=None):
            queries.append((category, sorted(month_of[p] for p in period_ids),
                    after is not None))
            return amounts_query(company_id, category, period_ids, after=after)

        def new_process():
            "Forget the amounts kept by this process"
            dashboard._amounts_cache._clear(config.database_name)
            del queries[:]

        def stored():
            with Transaction().start(
                    config.database_name, 0, readonly=True):
                return sorted((month_of[a.period.id], a.kind,
                        a.category.name if a.category else '',
                        a.revenue, a.expense)
                    for a in AmountClass.search([]))

        Month = Model.get('sale.dashboard.revenue_expense.month')
        Category = Model.get('sale.dashboard.revenue_expense.category')

        def rows():
            return (
                sorted((r.category.name if r.category else '', r.revenue,
                        r.expense) for r in Category.find([])),
                [(m.period.start_date.month, m.revenue, m.expense)
                    for m in Month.find([])])

        Cron = Model.get('ir.cron')
        cron, = Cron.find([('method', '=', 'sale.dashboard.amount|refresh')])
        AmountClass.amounts_query = staticmethod(spy)
        try:
            cron.click('run_once')
            assert stored() == [
                (1, 'category', '', 0, 30),
                (1, 'total', '', 0, 30),
                (3, 'category', '', 400, 0),
                (3, 'total', '', 400, 0),
                ]
            new_process()
            assert rows() == (
                [('', 400, 30)], [(1, 0, 30), (3, 400, 0)])
            assert queries == []

            move(march, accounts['revenue'], Decimal(10))
            assert rows() == (
                [('', 410, 30)], [(1, 0, 30), (3, 410, 0)])
            assert queries == [(True, [3], True), (False, [3], True)]

            del queries[:]
            draft.click('post')
            assert rows() == (
                [('', 410, 35)], [(1, 0, 35), (3, 410, 0)])
            assert queries == [(True, [1], False), (False, [1], False)]

            cron.click('run_once')
            assert stored() == [
                (1, 'category', '', 0, 35),
                (1, 'total', '', 0, 35),
                (3, 'category', '', 410, 0),
                (3, 'total', '', 410, 0),
                ]
            new_process()
            assert rows() == (
                [('', 410, 35)], [(1, 0, 35), (3, 410, 0)])
            assert queries == []
        finally:
            del AmountClass.amounts_query
    finally:
        drop_db()


del ModuleTestCase
