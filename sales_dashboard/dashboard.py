# This file is part of the marketplace modules for Tryton.
"""Cells of the sales dashboard.

Every cell is a read-only model computed by one SQL query
(``table_query``): the figures are aggregated by the database, never by a
Python loop over records.  See doc/index.rst for the definitions.
"""
from sql import Cast, Literal, Null, Union, Values, Window
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import Abs, Position, Round, Substring
from sql.operators import Concat

from trytond import backend
from trytond.cache import Cache
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.account.exceptions import FiscalYearNotFoundError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

STATUSES = [
    ('quotation', "Quotation in Progress"),
    ('to_invoice', "To Invoice"),
    ('unpaid', "Invoice Unpaid"),
    ('paid', "Invoice Paid"),
    ('discrepancy', "Payment Discrepancy"),
    ]
LATEST_SALES = 20
_amounts_cache = Cache(
    'sale.dashboard.revenue_expense.amounts', context=False)


def num(column):
    "Numeric column usable in SQL arithmetic (SQLite stores Decimal as text)"
    if backend.name == 'sqlite':
        return Cast(column, 'NUMERIC')
    return column


def origin_id(column, model):
    "The id of a Reference column pointing to model, else NULL"
    prefix = model + ','
    return Case(
        (column.like(prefix + '%'),
            Cast(Substring(column, Position(',', column) + Literal(1)),
                'INTEGER')),
        else_=Null)


def integer(value):
    "A typed literal (PostgreSQL cannot guess the type of a bare parameter)"
    return Cast(Literal(value), 'INTEGER')


def numeric(value):
    return Cast(Literal(value), 'NUMERIC')


def text(value):
    return Cast(Literal(value), 'VARCHAR')


def _company_id():
    return Transaction().context.get('company') or -1


def fiscalyear_id():
    """The fiscal year of the context, else the company's current one, else
    None"""
    FiscalYear = Pool().get('account.fiscalyear')
    context = Transaction().context
    if context.get('fiscalyear') is not None:
        return context['fiscalyear']
    if context.get('company'):
        try:
            return FiscalYear.find(context['company'], test_state=False).id
        except FiscalYearNotFoundError:
            pass


def line_amount(field, line, currency):
    """The untaxed amount of a sale line (quotations have no amount cache),
    as field, rounded to the currency"""
    return Round(
        field.sql_cast(Cast(line.quantity, 'NUMERIC') * num(line.unit_price)),
        currency.digits)


def within_rounding(amount, currency):
    """Whether amount is less than half the currency's rounding: an invoice
    whose due or received amount differs by less is settled"""
    return amount * 2 < num(currency.rounding)


def invoice_paid_query(invoice_ids):
    """Amount received per customer invoice, in the invoice currency.

    invoice_ids is a query of account.invoice ids.  The amount received is
    the sum of:
    - the invoice's payment lines (pay wizard, statements), credit − debit;
    - the succeeded incoming payments (account.payment) on its lines to pay,
      positive when received, negative when refunded.
    """
    pool = Pool()
    Invoice = pool.get('account.invoice')
    InvoicePaymentLine = pool.get('account.invoice-account.move.line')
    MoveLine = pool.get('account.move.line')
    Payment = pool.get('account.payment')

    relation = InvoicePaymentLine.__table__()
    line = MoveLine.__table__()
    payment_line = MoveLine.__table__()
    invoice = Invoice.__table__()
    payment = Payment.__table__()

    payment_lines = relation.join(
        line, condition=relation.line == line.id
        ).select(
            relation.invoice.as_('invoice'),
            Case((line.second_currency != Null,
                    -num(line.amount_second_currency)),
                else_=num(line.credit) - num(line.debit)).as_('amount'),
            where=relation.invoice.in_(invoice_ids))
    payments = payment.join(
        payment_line, condition=payment.line == payment_line.id
        ).join(invoice,
            condition=(payment_line.move == invoice.move)
            & (payment_line.account == invoice.account)
        ).select(
            invoice.id.as_('invoice'),
            Case((payment.kind == 'receivable', num(payment.amount)),
                else_=-num(payment.amount)).as_('amount'),
            where=(payment.state == 'succeeded')
            & invoice.id.in_(invoice_ids))
    received = Union(payment_lines, payments, all_=True)
    return received.select(
        received.invoice.as_('invoice'),
        Sum(received.amount).as_('paid'),
        group_by=[received.invoice])


class Context(ModelView):
    "Sales Dashboard Context"
    __name__ = 'sale.dashboard.context'
    company = fields.Many2One('company.company', "Company", required=True)
    fiscalyear = fields.Many2One(
        'account.fiscalyear', "Fiscal Year",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="Leave empty for the current fiscal year.")
    category = fields.Many2One(
        'product.category', "Category",
        domain=[
            ('accounting', '=', True),
            ],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Limit the monthly chart to the products of this account "
        "category.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_fiscalyear(cls):
        return fiscalyear_id()

    @classmethod
    def default_category(cls):
        return Transaction().context.get('category')


class CommercialTotals(ModelSQL, ModelView):
    "Sales Dashboard Commercial Totals"
    __name__ = 'sale.dashboard.totals'
    company = fields.Many2One('company.company', "Company")
    currency = fields.Many2One('currency.currency', "Currency")
    quotation_count = fields.Integer(
        "Open Quotations", help="The number of sales in quotation state.")
    quotation_amount = Monetary(
        "Quotations Untaxed", currency='currency', digits='currency',
        help="The untaxed total of the open quotations.")
    invoice_count = fields.Integer(
        "Unpaid Invoices",
        help="The number of posted customer invoices not paid yet.")
    invoice_amount = Monetary(
        "Amount Due", currency='currency', digits='currency',
        help="What the customers still owe on the unpaid invoices.")
    receipt_count = fields.Integer(
        "Cheques to Deposit",
        help="The number of received cheques not on a posted deposit slip.")
    receipt_amount = Monetary(
        "Receipts to Deposit", currency='currency', digits='currency',
        help="The total of the received cheques not yet deposited.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('currency', 'ASC'))

    @classmethod
    def _quotations(cls, company_id):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Line = pool.get('sale.line')
        Currency = pool.get('currency.currency')
        sale = Sale.__table__()
        line = Line.__table__()
        currency = Currency.__table__()
        amount = line_amount(cls.quotation_amount, line, currency)
        per_sale = sale.join(line, condition=line.sale == sale.id
            ).join(currency, condition=sale.currency == currency.id
            ).select(
                sale.id.as_('sale'),
                sale.currency.as_('currency'),
                Sum(Coalesce(amount, 0)).as_('amount'),
                where=(sale.company == company_id)
                & (sale.state == 'quotation')
                & (line.type == 'line'),
                group_by=[sale.id, sale.currency])
        return per_sale.select(
            per_sale.currency.as_('currency'),
            Count(per_sale.sale).as_('quotation_count'),
            Sum(per_sale.amount).as_('quotation_amount'),
            integer(0).as_('invoice_count'),
            numeric(0).as_('invoice_amount'),
            integer(0).as_('receipt_count'),
            numeric(0).as_('receipt_amount'),
            group_by=[per_sale.currency])

    @classmethod
    def _invoices(cls, company_id):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Currency = pool.get('currency.currency')
        invoice = Invoice.__table__()
        unpaid = invoice.select(
            invoice.id,
            where=(invoice.company == company_id)
            & (invoice.type == 'out')
            & (invoice.state == 'posted')
            & (num(invoice.total_amount_cache) > 0))
        paid = invoice_paid_query(unpaid)
        invoice = Invoice.__table__()
        currency = Currency.__table__()
        due = num(invoice.total_amount_cache) - Coalesce(paid.paid, 0)
        return invoice.join(paid, 'LEFT',
            condition=paid.invoice == invoice.id
            ).join(currency, condition=invoice.currency == currency.id
            ).select(
                invoice.currency.as_('currency'),
                integer(0).as_('quotation_count'),
                numeric(0).as_('quotation_amount'),
                Count(invoice.id).as_('invoice_count'),
                Sum(due).as_('invoice_amount'),
                integer(0).as_('receipt_count'),
                numeric(0).as_('receipt_amount'),
                where=invoice.id.in_(unpaid)
                # Overpaid invoices are not unpaid: they are discrepancies
                & ~within_rounding(due, currency),
                group_by=[invoice.currency])

    @classmethod
    def _receipts(cls, company_id):
        pool = Pool()
        Payment = pool.get('account.payment')
        Journal = pool.get('account.payment.journal')
        Deposit = pool.get('sale.cheque.deposit')
        payment = Payment.__table__()
        journal = Journal.__table__()
        deposit = Deposit.__table__()
        return payment.join(journal, condition=payment.journal == journal.id
            ).join(deposit, 'LEFT',
                condition=payment.cheque_deposit == deposit.id
            ).select(
                journal.currency.as_('currency'),
                integer(0).as_('quotation_count'),
                numeric(0).as_('quotation_amount'),
                integer(0).as_('invoice_count'),
                numeric(0).as_('invoice_amount'),
                Count(payment.id).as_('receipt_count'),
                Sum(num(payment.amount)).as_('receipt_amount'),
                where=(payment.company == company_id)
                & (journal.receipt_method == 'cheque')
                & (payment.kind == 'receivable')
                & (payment.state == 'succeeded')
                & ((deposit.id == Null) | (deposit.state != 'posted')),
                group_by=[journal.currency])

    @classmethod
    def table_query(cls):
        pool = Pool()
        Currency = pool.get('currency.currency')
        currency = Currency.__table__()
        company_id = _company_id()
        union = Union(
            cls._quotations(company_id),
            cls._invoices(company_id),
            cls._receipts(company_id),
            all_=True)

        def amount(column):
            return Round(
                cls.quotation_amount.sql_cast(Sum(column)), currency.digits)

        def count(column):
            return Cast(Sum(column), 'INTEGER')
        return union.join(currency, condition=union.currency == currency.id
            ).select(
                currency.id.as_('id'),
                integer(company_id).as_('company'),
                currency.id.as_('currency'),
                count(union.quotation_count).as_('quotation_count'),
                amount(union.quotation_amount).as_('quotation_amount'),
                count(union.invoice_count).as_('invoice_count'),
                amount(union.invoice_amount).as_('invoice_amount'),
                count(union.receipt_count).as_('receipt_count'),
                amount(union.receipt_amount).as_('receipt_amount'),
                group_by=[currency.id, currency.digits])


class LatestSale(ModelSQL, ModelView):
    "Sales Dashboard Latest Sale"
    __name__ = 'sale.dashboard.latest_sale'
    company = fields.Many2One('company.company', "Company")
    sale = fields.Many2One('sale.sale', "Sale")
    party = fields.Many2One(
        'party.party', "Party",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    date = fields.Date("Date")
    currency = fields.Many2One('currency.currency', "Currency")
    untaxed_amount = Monetary(
        "Untaxed Amount", currency='currency', digits='currency')
    invoiced_amount = Monetary(
        "Invoiced", currency='currency', digits='currency',
        help="The total (taxes included) of the posted and paid invoices "
        "of the sale, credit notes deducted.")
    paid_amount = Monetary(
        "Received", currency='currency', digits='currency',
        help="The payments received for these invoices.")
    status = fields.Selection(STATUSES, "Status")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('status') == 'discrepancy', 'danger',
                    If(Eval('status') == 'unpaid', 'warning',
                        If(Eval('status') == 'paid', 'success', '')))),
            ]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        InvoiceLine = pool.get('account.invoice.line')
        Invoice = pool.get('account.invoice')
        Currency = pool.get('currency.currency')
        context = Transaction().context
        company_id = _company_id()
        limit = context.get('latest_sales', LATEST_SALES)

        sale = Sale.__table__()
        date = Coalesce(sale.sale_date, sale.quotation_date)
        latest = sale.select(
            sale.id,
            where=(sale.company == company_id)
            & sale.state.in_(['quotation', 'confirmed', 'processing', 'done']),
            order_by=[date.desc, sale.id.desc],
            limit=limit)

        # Untaxed amount of the quotations (no cache before confirmation)
        sale_line = SaleLine.__table__()
        currency = Currency.__table__()
        sale = Sale.__table__()
        lines = sale_line.join(sale, condition=sale_line.sale == sale.id
            ).join(currency, condition=sale.currency == currency.id
            ).select(
                sale_line.sale.as_('sale'),
                Sum(Coalesce(line_amount(
                            cls.untaxed_amount, sale_line, currency),
                        0)).as_('amount'),
                where=sale_line.sale.in_(latest)
                & (sale_line.type == 'line'),
                group_by=[sale_line.sale])

        # Invoices of the sales
        sale_line = SaleLine.__table__()
        invoice_line = InvoiceLine.__table__()
        invoice = Invoice.__table__()
        sale_invoice = sale_line.join(invoice_line,
            condition=invoice_line.origin == Concat(
                text('sale.line,'), Cast(sale_line.id, 'VARCHAR'))
            ).join(invoice, condition=invoice_line.invoice == invoice.id
            ).select(
                sale_line.sale.as_('sale'),
                invoice.id.as_('invoice'),
                where=sale_line.sale.in_(latest)
                & (invoice.type == 'out')
                & invoice.state.in_(['posted', 'paid']),
                group_by=[sale_line.sale, invoice.id])
        paid = invoice_paid_query(sale_invoice.select(sale_invoice.invoice))
        invoice = Invoice.__table__()
        invoiced = sale_invoice.join(invoice,
            condition=sale_invoice.invoice == invoice.id
            ).join(paid, 'LEFT', condition=paid.invoice == invoice.id
            ).select(
                sale_invoice.sale.as_('sale'),
                Count(sale_invoice.invoice).as_('count'),
                Sum(Case((invoice.state == 'posted', 1),
                        else_=0)).as_('open_count'),
                Sum(num(invoice.total_amount_cache)).as_('total'),
                Sum(Coalesce(paid.paid, 0)).as_('paid'),
                group_by=[sale_invoice.sale])

        sale = Sale.__table__()
        currency = Currency.__table__()
        total = Coalesce(invoiced.total, 0)
        received = Coalesce(invoiced.paid, 0)
        status = Case(
            (sale.state == 'quotation', text('quotation')),
            (Coalesce(invoiced.count, 0) == 0, text('to_invoice')),
            (within_rounding(Abs(total - received), currency),
                text('paid')),
            ((received > total) | (invoiced.open_count == 0),
                text('discrepancy')),
            else_=text('unpaid'))

        def amount(column):
            return Round(cls.untaxed_amount.sql_cast(column), currency.digits)
        return sale.join(currency, condition=sale.currency == currency.id
            ).join(lines, 'LEFT', condition=lines.sale == sale.id
            ).join(invoiced, 'LEFT', condition=invoiced.sale == sale.id
            ).select(
                sale.id.as_('id'),
                sale.company.as_('company'),
                sale.id.as_('sale'),
                sale.party.as_('party'),
                Coalesce(sale.sale_date, sale.quotation_date).as_('date'),
                sale.currency.as_('currency'),
                amount(Coalesce(
                        num(sale.untaxed_amount_cache), lines.amount)
                    ).as_('untaxed_amount'),
                amount(total).as_('invoiced_amount'),
                amount(received).as_('paid_amount'),
                status.as_('status'),
                where=sale.id.in_(latest))


class _RevenueExpenseMixin:
    __slots__ = ()
    revenue = Monetary(
        "Revenue", currency='currency', digits='currency',
        help="Credit minus debit of the revenue accounts.")
    expense = Monetary(
        "Expense", currency='currency', digits='currency',
        help="Debit minus credit of the expense accounts.")
    result = Monetary(
        "Result", currency='currency', digits='currency',
        help="Revenue minus expense.")
    currency = fields.Many2One('currency.currency', "Currency")
    company = fields.Many2One('company.company', "Company")

    @classmethod
    def _fiscalyear_id(cls):
        fiscalyear = fiscalyear_id()
        return fiscalyear if fiscalyear is not None else -1

    @classmethod
    def _period_amounts(cls, category):
        """Rows (company, period, category, revenue, expense) of the fiscal
        year.

        Posted moves never change (correcting one posts another), so the
        amounts of a period are kept (per process) as long as the number and
        the last id of its posted moves, and the products' categories, are
        the same; the others come from the amounts stored by the cron (see
        sale.dashboard.amount): a read scans the lines of the moves posted
        since the last refresh, not the million lines of the year."""
        pool = Pool()
        Amount = pool.get('sale.dashboard.amount')
        Period = pool.get('account.period')
        period = Period.__table__()
        company_id = _company_id()

        periods = period.select(period.id,
            where=(period.fiscalyear == cls._fiscalyear_id())
            & (period.type == 'standard'))
        stamps = Amount.move_stamps(company_id, periods)
        products = Amount.products_stamp() if category else None
        rows, missing = [], {}
        for period_id, stamp in stamps.items():
            cached = _amounts_cache.get(
                (company_id, period_id, category, stamp, products))
            if cached is None:
                missing[period_id] = stamp
            else:
                rows.extend(cached)
        if missing:
            amounts = Amount.get_amounts(
                company_id, category, missing, products)
            for period_id, period_rows in amounts.items():
                _amounts_cache.set(
                    (company_id, period_id, category, stamps[period_id],
                        products), period_rows)
                rows.extend(period_rows)
        return rows

    @classmethod
    def _lines(cls, category=True):
        """Revenue and expense of the posted moves of the fiscal year per
        company, period and (if category) account category of the invoice
        line's product, with the company currency (see _period_amounts)"""
        pool = Pool()
        Company = pool.get('company.company')
        company = Company.__table__()
        rows = cls._period_amounts(category)
        if rows:
            values = Values([[
                        integer(c), integer(p), integer(k),
                        numeric(r), numeric(e)]
                    for c, p, k, r, e in rows])
            amounts = values.select(
                values.column1.as_('company'),
                values.column2.as_('period'),
                values.column3.as_('category'),
                values.column4.as_('revenue'),
                values.column5.as_('expense'))
        else:
            amounts = Company.__table__()
            amounts = amounts.select(
                integer(None).as_('company'),
                integer(None).as_('period'),
                integer(None).as_('category'),
                numeric(None).as_('revenue'),
                numeric(None).as_('expense'),
                where=Literal(False))
        return amounts.join(company, condition=amounts.company == company.id
            ).select(
                amounts.company.as_('company'),
                company.currency.as_('currency'),
                amounts.period.as_('period'),
                amounts.category.as_('category'),
                amounts.revenue.as_('revenue'),
                amounts.expense.as_('expense'))


class RevenueExpenseMonth(_RevenueExpenseMixin, ModelSQL, ModelView):
    "Sales Dashboard Revenue and Expense per Month"
    __name__ = 'sale.dashboard.revenue_expense.month'
    period = fields.Many2One('account.period', "Month")
    start_date = fields.Date("Start Date")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Period = pool.get('account.period')
        Currency = pool.get('currency.currency')
        context = Transaction().context
        lines = cls._lines(category=bool(context.get('category')))
        period = Period.__table__()
        currency = Currency.__table__()
        where = Literal(True)
        if context.get('category'):
            where &= lines.category == context['category']

        def amount(column):
            return Round(cls.revenue.sql_cast(column), currency.digits)
        return lines.join(period, condition=lines.period == period.id
            ).join(currency, condition=lines.currency == currency.id
            ).select(
                period.id.as_('id'),
                lines.company.as_('company'),
                lines.currency.as_('currency'),
                period.id.as_('period'),
                period.start_date.as_('start_date'),
                amount(Sum(lines.revenue)).as_('revenue'),
                amount(Sum(lines.expense)).as_('expense'),
                amount(Sum(lines.revenue - lines.expense)).as_('result'),
                where=where,
                group_by=[
                    period.id, period.start_date, lines.company,
                    lines.currency, currency.digits])


class RevenueExpenseCategory(_RevenueExpenseMixin, ModelSQL, ModelView):
    "Sales Dashboard Revenue and Expense per Category"
    __name__ = 'sale.dashboard.revenue_expense.category'
    category = fields.Many2One(
        'product.category', "Category",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The account category of the product; empty for the moves "
        "not coming from an invoice line with a product.")
    revenue_ratio = fields.Numeric(
        "Revenue %", digits=(None, 4),
        help="The share of the category in the revenue of the year.")
    expense_ratio = fields.Numeric(
        "Expense %", digits=(None, 4),
        help="The share of the category in the expenses of the year.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('revenue', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Currency = pool.get('currency.currency')
        currency = Currency.__table__()

        lines = cls._lines()
        per_category = lines.select(
            lines.company.as_('company'),
            lines.currency.as_('currency'),
            lines.category.as_('category'),
            Sum(lines.revenue).as_('revenue'),
            Sum(lines.expense).as_('expense'),
            group_by=[lines.company, lines.currency, lines.category])
        # the year's totals over the few aggregated rows (one scan of the
        # move lines, not one per total)
        window = Window([])

        def amount(column):
            return Round(cls.revenue.sql_cast(column), currency.digits)

        def ratio(column):
            total = Sum(column, window=window)
            if backend.name == 'sqlite':
                # avoid the integer division of SQLite
                column = Cast(column, 'REAL')
            return Round(cls.revenue_ratio.sql_cast(
                    column / NullIf(total, 0)), 4)
        return per_category.join(currency,
            condition=per_category.currency == currency.id
            ).select(
                (Coalesce(per_category.category, 0) + 1).as_('id'),
                per_category.company.as_('company'),
                per_category.currency.as_('currency'),
                per_category.category.as_('category'),
                amount(per_category.revenue).as_('revenue'),
                amount(per_category.expense).as_('expense'),
                amount(per_category.revenue - per_category.expense
                    ).as_('result'),
                ratio(per_category.revenue).as_('revenue_ratio'),
                ratio(per_category.expense).as_('expense_ratio'))

