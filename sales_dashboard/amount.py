# This file is part of the marketplace modules for Tryton.
"""Revenue and expense of the posted moves kept per period.

Posted moves never change (correcting one posts another), so the amounts
of a period stay right as long as no move is posted in it.  The cron
``refresh`` stores them with a stamp: the number of posted moves of the
period it covers and the last move id it saw (every posted move of the
period up to this id is counted).  A read then takes, per period:

- the stored amounts when the period received no posted move since;
- the stored amounts plus those of the moves with a greater id when the
  number of posted moves still matches (the moves posted since all have a
  greater id: a range of the primary key of ``account_move``);
- else (a draft move of a lower id was posted since, the products changed
  their category, no refresh yet) the amounts of all the period's lines.
"""
import datetime as dt
from collections import defaultdict, namedtuple
from decimal import Decimal

from sql import Cast, Literal, Null
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .dashboard import num, origin_id

StoredStamp = namedtuple(
    'StoredStamp', ['id', 'move_count', 'last_move', 'products'])
KINDS = [
    ('total', "Total"),
    ('category', "Per Category"),
    ]


def _decimal(value):
    "A SQL sum as Decimal (SQLite returns float or int for expressions)"
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _timestamp(value):
    "A SQL timestamp as datetime (SQLite returns text for expressions)"
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


class _PeriodMixin:
    __slots__ = ()
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    period = fields.Many2One(
        'account.period', "Period", required=True, ondelete='CASCADE')
    kind = fields.Selection(KINDS, "Kind", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t,
                (t.company, Index.Equality()),
                (t.period, Index.Equality()),
                (t.kind, Index.Equality())))


class Amount(_PeriodMixin, ModelSQL):
    "Sales Dashboard Amount"
    __name__ = 'sale.dashboard.amount'
    category = fields.Many2One(
        'product.category', "Category", ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The account category of the product (per category rows); "
        "empty for the moves not coming from an invoice line with a "
        "product.")
    revenue = fields.Numeric("Revenue", required=True)
    expense = fields.Numeric("Expense", required=True)

    @classmethod
    def amounts_query(cls, company_id, category, period_ids, after=None):
        """Revenue and expense of the posted moves of the periods per
        company, period and (if category) account category of the invoice
        line's product (only the moves of an id greater than after, if
        set): the move lines are aggregated right after the joins that
        filter them"""
        pool = Pool()
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        InvoiceLine = pool.get('account.invoice.line')
        Product = pool.get('product.product')
        Template = pool.get('product.template')

        line = MoveLine.__table__()
        move = Move.__table__()
        account = Account.__table__()
        type_ = AccountType.__table__()
        invoice_line = InvoiceLine.__table__()
        product = Product.__table__()
        template = Template.__table__()

        accounts = account.join(type_, condition=account.type == type_.id
            ).select(account.id.as_('id'),
                type_.revenue.as_('revenue'), type_.expense.as_('expense'),
                where=(type_.revenue == Literal(True))
                | (type_.expense == Literal(True)))
        debit, credit = num(line.debit), num(line.credit)
        query = line.join(move, condition=line.move == move.id
            ).join(accounts, condition=line.account == accounts.id)
        if category:
            query = query.join(invoice_line, 'LEFT',
                condition=invoice_line.id == origin_id(
                    line.origin, 'account.invoice.line')
                ).join(product, 'LEFT',
                    condition=invoice_line.product == product.id
                ).join(template, 'LEFT',
                    condition=product.template == template.id)
            group_by = [move.company, move.period, template.account_category]
            category_column = template.account_category
        else:
            group_by = [move.company, move.period]
            category_column = Cast(Null, 'INTEGER')
        where = ((move.company == company_id)
            & (move.state == 'posted')
            & move.period.in_(period_ids))
        if after is not None:
            where &= move.id > after
        return query.select(
            move.company.as_('company'),
            move.period.as_('period'),
            category_column.as_('category'),
            Sum(Case((accounts.revenue == Literal(True), credit - debit),
                    else_=0)).as_('revenue'),
            Sum(Case((accounts.expense == Literal(True), debit - credit),
                    else_=0)).as_('expense'),
            where=where,
            group_by=group_by)

    @classmethod
    def move_stamps(cls, company_id, periods):
        """Number and last id of the posted moves per period of periods (a
        query or a list of ids); the periods without posted move are
        missing"""
        pool = Pool()
        Move = pool.get('account.move')
        cursor = Transaction().connection.cursor()
        move = Move.__table__()
        cursor.execute(*move.select(
                move.period, Count(move.id), Max(move.id),
                where=(move.company == company_id)
                & (move.state == 'posted')
                & move.period.in_(periods),
                group_by=[move.period]))
        return {p: (c, m) for p, c, m in cursor}

    @classmethod
    def products_stamp(cls):
        "The last change of the products (their category)"
        pool = Pool()
        Template = pool.get('product.template')
        cursor = Transaction().connection.cursor()
        template = Template.__table__()
        cursor.execute(*template.select(
                Max(Coalesce(template.write_date, template.create_date))))
        products, = cursor.fetchone()
        return _timestamp(products)

    @classmethod
    def get_amounts(cls, company_id, category, stamps, products=None):
        """Rows (company, period, category, revenue, expense) per period of
        stamps (period: (number, last id) of its posted moves), from the
        stored amounts and the moves posted since when they still apply,
        else from the move lines (see the module docstring)"""
        pool = Pool()
        Stamp = pool.get('sale.dashboard.amount.stamp')
        kind = 'category' if category else 'total'
        stored = Stamp.get_stamps(company_id, kind, list(stamps))
        kept, after, full = [], defaultdict(list), []
        for period_id, (count, last) in stamps.items():
            stamp = stored.get(period_id)
            if stamp is None or stamp.products != products:
                full.append(period_id)
            elif last <= stamp.last_move:
                (kept if count == stamp.move_count else full).append(
                    period_id)
            else:
                after[stamp.last_move].append(period_id)
        deltas = []
        for last_move, period_ids in after.items():
            posted = cls._posted_after(company_id, period_ids, last_move)
            delta = [p for p in period_ids
                if stored[p].move_count + posted.get(p, 0) == stamps[p][0]]
            full.extend(p for p in period_ids if p not in delta)
            kept.extend(delta)
            if delta:
                deltas.append((delta, last_move))

        amounts = {p: {} for p in stamps}
        cls._add(amounts, cls._stored_rows(company_id, kind, kept))
        cursor = Transaction().connection.cursor()
        for period_ids, last_move in deltas:
            cursor.execute(*cls.amounts_query(
                    company_id, category, period_ids, after=last_move))
            cls._add(amounts, cursor)
        if full:
            cursor.execute(*cls.amounts_query(company_id, category, full))
            cls._add(amounts, cursor)
        return {
            p: [(company_id, p, k, r, e) for k, (r, e) in rows.items()]
            for p, rows in amounts.items()}

    @staticmethod
    def _add(amounts, rows):
        "Add rows (company, period, category, revenue, expense) to amounts"
        for _, period_id, category_id, revenue, expense in rows:
            revenue, expense = _decimal(revenue), _decimal(expense)
            total = amounts[period_id].get(category_id)
            if total is not None:
                revenue += total[0]
                expense += total[1]
            amounts[period_id][category_id] = (revenue, expense)

    @classmethod
    def _posted_after(cls, company_id, period_ids, last_move):
        """Number of the posted moves of an id greater than last_move per
        period (a range of the primary key)"""
        pool = Pool()
        Move = pool.get('account.move')
        cursor = Transaction().connection.cursor()
        move = Move.__table__()
        cursor.execute(*move.select(
                move.period, Count(move.id),
                where=(move.id > last_move)
                & (move.company == company_id)
                & (move.state == 'posted')
                & move.period.in_(period_ids),
                group_by=[move.period]))
        return dict(cursor)

    @classmethod
    def _stored_rows(cls, company_id, kind, period_ids):
        if not period_ids:
            return []
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(
                table.company, table.period, table.category,
                table.revenue, table.expense,
                where=(table.company == company_id)
                & (table.kind == kind)
                & table.period.in_(period_ids)))
        return cursor.fetchall()

    @classmethod
    def refresh(cls):
        """Store the amounts of the standard periods of the open fiscal
        years, of the context's company or else of every company (cron)"""
        pool = Pool()
        Company = pool.get('company.company')
        Stamp = pool.get('sale.dashboard.amount.stamp')
        context = Transaction().context
        if context.get('company'):
            companies = [Company(context['company'])]
        else:
            companies = Company.search([])
        # one refresh at a time (reads are not blocked)
        Stamp.lock()
        for company in companies:
            cls._refresh(company.id)

    @classmethod
    def _refresh(cls, company_id):
        pool = Pool()
        Period = pool.get('account.period')
        FiscalYear = pool.get('account.fiscalyear')
        period = Period.__table__()
        fiscalyear = FiscalYear.__table__()
        periods = period.join(fiscalyear,
            condition=period.fiscalyear == fiscalyear.id
            ).select(period.id,
                where=(fiscalyear.company == company_id)
                & (fiscalyear.state == 'open')
                & (period.type == 'standard'))
        stamps = cls.move_stamps(company_id, periods)
        if not stamps:
            return
        # every posted move of these periods has an id up to last_move
        last_move = max(m for _, m in stamps.values())
        cls._store(company_id, 'total', stamps, last_move, None,
            cls.get_amounts(company_id, False, stamps))
        products = cls.products_stamp()
        cls._store(company_id, 'category', stamps, last_move, products,
            cls.get_amounts(company_id, True, stamps, products))

    @classmethod
    def _store(cls, company_id, kind, stamps, last_move, products, amounts):
        "Replace the stored amounts of the periods that changed"
        pool = Pool()
        Stamp = pool.get('sale.dashboard.amount.stamp')
        stored = Stamp.get_stamps(company_id, kind, list(stamps))
        changed, to_save = [], []
        for period_id, (count, last) in stamps.items():
            stamp = stored.get(period_id)
            values = {'last_move': last_move}
            if (stamp is not None and stamp.move_count == count
                    and last <= stamp.last_move
                    and stamp.products == products):
                if stamp.last_move != last_move:
                    to_save.append(Stamp(stamp.id, **values))
                continue
            changed.append(period_id)
            values.update(move_count=count, products=products)
            if stamp is None:
                to_save.append(Stamp(
                        company=company_id, period=period_id, kind=kind,
                        **values))
            else:
                to_save.append(Stamp(stamp.id, **values))
        if changed:
            cls.delete(cls.search([
                        ('company', '=', company_id),
                        ('kind', '=', kind),
                        ('period', 'in', changed),
                        ]))
            cls.create([{
                        'company': company_id,
                        'period': period_id,
                        'kind': kind,
                        'category': category_id,
                        'revenue': revenue,
                        'expense': expense,
                        }
                    for period_id in changed
                    for _, _, category_id, revenue, expense
                    in amounts[period_id]])
        Stamp.save(to_save)


class AmountStamp(_PeriodMixin, ModelSQL):
    "Sales Dashboard Amount Stamp"
    __name__ = 'sale.dashboard.amount.stamp'
    move_count = fields.Integer(
        "Posted Moves", required=True,
        help="The number of posted moves of the period in the amounts.")
    last_move = fields.Integer(
        "Last Move", required=True,
        help="Every posted move of the period with an id up to this one is "
        "in the amounts.")
    products = fields.Timestamp(
        "Products",
        help="The last change of the products when the amounts per "
        "category were computed.")

    @classmethod
    def get_stamps(cls, company_id, kind, period_ids):
        """The stored stamps of the periods by period id (read by SQL: the
        dashboard users need no access to them)"""
        if not period_ids:
            return {}
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(
                table.id, table.period, table.move_count, table.last_move,
                table.products,
                where=(table.company == company_id)
                & (table.kind == kind)
                & table.period.in_(period_ids)))
        return {
            period_id: StoredStamp(
                id_, move_count, last_move, _timestamp(products))
            for id_, period_id, move_count, last_move, products in cursor}


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('sale.dashboard.amount|refresh',
                "Refresh Sales Dashboard Amounts"))
