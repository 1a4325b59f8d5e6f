# This file is part of the marketplace modules for Tryton.
"""What a vendor may see, read for one vendor party.

Every query of the portal goes through VendorPortal, built from the party of
the web user's session: the vendor's id is in every WHERE clause and nothing
of the request but validated filter values (dates, a state, a page) reaches
them."""
import datetime as dt
from decimal import Decimal

from sql.aggregate import Count, Max, Min, Sum

from trytond.modules.marketplace_sales.common import to_decimal
from trytond.pool import Pool
from trytond.transaction import Transaction

SALE_STATES = ('to_invoice', 'awaiting_payment', 'paid')
INVOICE_STATES = ('posted', 'paid')
PAGE_SIZE = 50
# Beyond any vendor's sales; keeps the SQL OFFSET within a bigint
MAX_PAGE = 10 ** 6
# The columns of the CSV file: the names of the marketplace.sale fields
CSV_FIELDS = [
    'date', 'invoice', 'invoice_date', 'product', 'description', 'quantity',
    'unit', 'base_price', 'unit_price', 'gross_amount', 'discount_rate',
    'discount_amount', 'net_amount', 'vendor_support_rate',
    'vendor_support_amount', 'commission_rate', 'commission_amount',
    'tax_rate', 'payout_amount', 'vendor_invoice', 'state',
    ]


class SaleFilter:
    "The filter of the sales pages, from the query string"

    def __init__(self, from_date=None, to_date=None, state=None, page=1):
        self.from_date = from_date
        self.to_date = to_date
        self.state = state
        self.page = page

    @classmethod
    def from_args(cls, args):
        """Return the filter of the query string args; raise ValueError
        for a value that is not a date, a state or a page number"""
        def date(name):
            value = args.get(name, '').strip()
            return dt.date.fromisoformat(value) if value else None
        state = args.get('state', '').strip() or None
        if state is not None and state not in SALE_STATES:
            raise ValueError(state)
        page = int(args.get('page', '1') or 1)
        if not 1 <= page <= MAX_PAGE:
            raise ValueError(page)
        return cls(date('from'), date('to'), state, page)

    def args(self, **changes):
        "The query string values of the filter (with changes)"
        values = {
            'from': self.from_date.isoformat() if self.from_date else '',
            'to': self.to_date.isoformat() if self.to_date else '',
            'state': self.state or '',
            'page': str(self.page),
            }
        values.update(changes)
        return {
            k: v for k, v in values.items()
            if v and not (k == 'page' and v == '1')}


def _decimal(value, digits=None):
    "Decimal of a database value (0 for NULL), rounded to digits if given"
    value = to_decimal(value or 0)
    if digits is not None:
        value = value.quantize(Decimal(1).scaleb(-digits))
    return value


def _date(value):
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


class VendorPortal:
    "The rows of one vendor party"

    def __init__(self, vendor):
        self.vendor = vendor

    def _sale_where(self, sale, filter_):
        where = ((sale.vendor == self.vendor.id)
            & sale.state.in_(list(SALE_STATES)))
        if filter_.from_date:
            where &= sale.date >= filter_.from_date
        if filter_.to_date:
            where &= sale.date <= filter_.to_date
        if filter_.state:
            where &= sale.state == filter_.state
        return where

    def sale_totals(self, filter_):
        "Return (count, net, commission, payout) of the filtered sales"
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        sale = Sale.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*sale.select(
                # vendor, not id: the count is read from the index too
                Count(sale.vendor), Sum(sale.net_amount),
                Sum(sale.commission_amount), Sum(sale.payout_amount),
                where=self._sale_where(sale, filter_)))
        count, net, commission, payout = cursor.fetchone()
        digits = self.currency_digits
        return (count or 0, _decimal(net, digits),
            _decimal(commission, digits), _decimal(payout, digits))

    @property
    def currency_digits(self):
        pool = Pool()
        Company = pool.get('company.company')
        companies = Company.search([], limit=1)
        return companies[0].currency.digits if companies else 2

    def sales(self, filter_, offset=0, limit=None):
        """Yield a dict per filtered sale, newest first, with the names of
        CSV_FIELDS plus customer, product_id and currency"""
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        Invoice = pool.get('account.invoice')
        sale = Sale.__table__()
        customer_invoice = Invoice.__table__()
        vendor_invoice = Invoice.__table__()
        columns = [
            sale.date, customer_invoice.number,
            customer_invoice.invoice_date, sale.product, sale.description,
            sale.quantity, sale.unit, sale.base_price, sale.unit_price,
            sale.gross_amount, sale.discount_rate, sale.discount_amount,
            sale.net_amount, sale.vendor_support_rate,
            sale.vendor_support_amount, sale.commission_rate,
            sale.commission_amount, sale.tax_rate, sale.payout_amount,
            vendor_invoice.number, sale.state, sale.customer, sale.currency,
            ]
        query = sale.join(customer_invoice, 'LEFT',
            condition=sale.invoice == customer_invoice.id
            ).join(vendor_invoice, 'LEFT',
            condition=sale.vendor_invoice == vendor_invoice.id
            ).select(*columns,
            where=self._sale_where(sale, filter_),
            order_by=[sale.date.desc, sale.id.desc],
            offset=offset or None, limit=limit)
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        names = CSV_FIELDS + ['customer', 'currency']
        while True:
            rows = cursor.fetchmany(1000)
            if not rows:
                break
            for row in rows:
                values = dict(zip(names, row))
                values['date'] = _date(values['date'])
                values['invoice_date'] = _date(values['invoice_date'])
                for name in [
                        'quantity', 'base_price', 'unit_price',
                        'gross_amount', 'discount_rate', 'discount_amount',
                        'net_amount', 'vendor_support_rate',
                        'vendor_support_amount', 'commission_rate',
                        'commission_amount', 'tax_rate', 'payout_amount']:
                    values[name] = _decimal(values[name])
                yield values

    def names(self, model, ids, field='rec_name'):
        "Return {id: name} of the records of model"
        Model = Pool().get(model)
        ids = list({i for i in ids if i is not None})
        names = {}
        for i in range(0, len(ids), 1000):
            for row in Model.read(ids[i:i + 1000], [field]):
                names[row['id']] = row[field]
        return names

    def _invoice_domain(self):
        return [
            ('type', '=', 'in'),
            ('party', '=', self.vendor.id),
            ('marketplace_self_billing', '=', True),
            ('state', 'in', list(INVOICE_STATES)),
            ]

    def invoice_count(self):
        Invoice = Pool().get('account.invoice')
        return Invoice.search_count(self._invoice_domain())

    def invoices(self, offset=0, limit=None):
        """Return a dict per self-billed invoice of the vendor, newest
        first: invoice, number, date, period (first and last sale dates),
        untaxed, total, state"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Sale = pool.get('marketplace.sale')
        invoices = Invoice.search(self._invoice_domain(),
            order=[('invoice_date', 'DESC'), ('id', 'DESC')],
            offset=offset, limit=limit)
        if not invoices:
            return []
        sale = Sale.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*sale.select(
                sale.vendor_invoice, Min(sale.date), Max(sale.date),
                where=(sale.vendor == self.vendor.id)
                & sale.vendor_invoice.in_([i.id for i in invoices]),
                group_by=[sale.vendor_invoice]))
        periods = {i: (_date(f), _date(t)) for i, f, t in cursor}
        return [{
                'invoice': invoice,
                'number': invoice.number,
                'date': invoice.invoice_date,
                'period': periods.get(invoice.id, (None, None)),
                'untaxed': invoice.untaxed_amount,
                'total': invoice.total_amount,
                'currency': invoice.currency,
                'state': invoice.state,
                } for invoice in invoices]

    def invoice(self, invoice_id):
        "Return the vendor's self-billed invoice of this id, or None"
        Invoice = Pool().get('account.invoice')
        invoices = Invoice.search(
            [('id', '=', invoice_id)] + self._invoice_domain(), limit=1)
        return invoices[0] if invoices else None

    def products(self):
        """Return a dict per product template of the vendor: name, code,
        list price, commission rate (the product's, else the vendor's, else
        the default) and where that rate comes from"""
        pool = Pool()
        Template = pool.get('product.template')
        Configuration = pool.get('marketplace.configuration')
        default_rate = Configuration(1).default_commission_rate
        templates = Template.search(
            [('marketplace_vendor', '=', self.vendor.id)],
            order=[('name', 'ASC'), ('id', 'ASC')])
        products = []
        for template in templates:
            if template.marketplace_commission_rate is not None:
                rate, source = template.marketplace_commission_rate, 'product'
            elif self.vendor.marketplace_commission_rate is not None:
                rate, source = (
                    self.vendor.marketplace_commission_rate, 'vendor')
            else:
                rate, source = default_rate, 'default'
            products.append({
                    'name': template.name,
                    'code': ', '.join(
                        p.code for p in template.products if p.code),
                    'list_price': template.list_price,
                    'commission_rate': rate,
                    'rate_source': source,
                    })
        return products

    @property
    def support_rate(self):
        return self.vendor.marketplace_support_rate or Decimal(0)

