# This file is part of the marketplace modules for Tryton.
import datetime
import logging
from array import array
from collections import defaultdict, namedtuple
from decimal import Decimal
from itertools import groupby

from trytond.i18n import gettext
from trytond.modules.account.exceptions import AccountMissing
from trytond.modules.marketplace_sales.common import (
    chunks, field_label, format_date, to_decimal)
from trytond.modules.product import round_price
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from . import bulk
from .exceptions import NothingToBillError, PayoutError
from .tax import shared_taxes

logger = logging.getLogger(__name__)


class MarketplaceSale(metaclass=PoolMeta):
    __name__ = 'marketplace.sale'

    @classmethod
    def _payout_domain(cls, from_date, to_date, vendors=None):
        domain = [
            ('state', '=', 'to_invoice'),
            ('date', '>=', from_date),
            ('date', '<=', to_date),
            ]
        if vendors:
            domain.append(('vendor', 'in', [int(v) for v in vendors]))
        return domain

    @classmethod
    def _payout_query(cls, from_date, to_date, vendors=None):
        "Return the query of the ids of the sales to bill (with the rules)"
        return cls.search(
            cls._payout_domain(from_date, to_date, vendors), order=[],
            query=True)

    @classmethod
    def _payout_lock(cls, sales, config):
        """Take every lock the payout needs before any work: the sales of
        the query sales (None for none), the self-billing and move strict
        sequences, and the journal periods when one must be created (see
        bulk.lock and bulk.lock_where).  A lock held by another transaction
        is waited for a short while; then the user is told a payout is
        running."""
        pool = Pool()
        Sequence = pool.get('ir.sequence.strict')
        JournalPeriod = pool.get('account.journal.period')
        Period = pool.get('account.period')
        Date = pool.get('ir.date')
        if sales is not None:
            table = cls.__table__()
            bulk.lock_where(table, table.id.in_(sales))
        sequence_ids = [config.self_billing_sequence.id]
        company = Transaction().context.get('company')
        period = None
        if company:
            # Move.post numbers the invoice move in this strict sequence
            period = Period.find(company, date=Date.today(), test_state=False)
            if period and period.move_sequence_used:
                sequence_ids.append(period.move_sequence_used.id)
        bulk.lock(Sequence._table, sequence_ids)
        # Move.post locks the whole journal-period table only to create the
        # missing journal period: do the same, and only then, so other
        # postings of the company are not held for the whole run
        if not (company and period and JournalPeriod.search([
                        ('journal', '=', config.payout_journal.id),
                        ('period', '=', period.id),
                        ], limit=1)):
            bulk.lock(JournalPeriod._table)

    @classmethod
    def bill(cls, from_date, to_date, vendors=None):
        """Create, post and return the vendor invoices of the period and the
        vendors skipped (below the minimum or negative)"""
        Invoice = Pool().get('account.invoice')
        cls._check_payout_period(from_date, to_date)
        bulk.custom_plans()
        config = cls._payout_configuration()
        # locked before they are read: the sales read are those locked
        query = cls._payout_query(from_date, to_date, vendors)
        cls._payout_lock(query, config)
        totals = cls._payout_totals(query)
        if not totals:
            raise NothingToBillError(gettext(
                    'marketplace_sales_payout.msg_payout_nothing_to_bill',
                    from_date=format_date(from_date),
                    to_date=format_date(to_date)))
        to_bill, skipped = cls._payout_to_bill(totals, config)
        # the sales of each vendor are read as it is billed: only the
        # products of a chunk are held
        invoice_ids = []
        with bulk.streamed() as cursor:
            groups = (
                (key, products)
                for key, products in cls._payout_groups(cursor, query)
                if key in to_bill)
            for chunk in bulk.invoice_chunks(groups):
                for key, products in chunk:
                    if sum(p.payout for p in products) != to_bill[key]:
                        raise PayoutError(gettext(
                                'marketplace_sales_payout'
                                '.msg_payout_sales_changed'))
                invoice_ids.extend(
                    cls._payout_chunk(chunk, from_date, to_date, config))
        return bulk.browse(Invoice, invoice_ids), skipped

    @classmethod
    def _payout_to_bill(cls, totals, config):
        """Return the payout of each (company, vendor, currency) of totals
        to bill and the vendors skipped as (vendor, currency, payout).
        Raise a PayoutError when a vendor to bill lacks what its invoice
        needs, a NothingToBillError when every vendor is skipped.

        The vendors are checked here and not kept: the fields read for
        them would stay in memory for the whole run."""
        pool = Pool()
        Party = pool.get('party.party')
        Currency = pool.get('currency.currency')
        parties = {
            p.id: p for p in bulk.browse(Party, {k[1] for k, _ in totals})}

        # Minimum payout: a vendor whose total is not positive or is under
        # the minimum is skipped; its sales stay to invoice
        minimum = config.minimum_payout or Decimal(0)
        skipped, to_bill = [], {}
        for key, total in totals:
            if cls._payout_skip_reason(total.payout, minimum):
                skipped.append((key[1], key[2], total.payout))
            else:
                to_bill[key] = total.payout
        # End of the minimum payout rule

        cls._check_payout_vendors(
            {k[0] for k in to_bill}, [parties[k[1]] for k in to_bill])
        if not to_bill:
            raise NothingToBillError(gettext(
                    'marketplace_sales_payout.msg_payout_all_skipped',
                    minimum=minimum,
                    vendors=', '.join(
                        '%s (%s %s)' % (parties[v].rec_name, t,
                            Currency(c).code)
                        for v, c, t in skipped)))
        return to_bill, [(Party(v), Currency(c), t) for v, c, t in skipped]

    @classmethod
    def _check_payout_period(cls, from_date, to_date):
        if from_date > to_date:
            raise PayoutError(gettext(
                    'marketplace_sales_payout.msg_payout_period_invalid',
                    from_date=format_date(from_date),
                    to_date=format_date(to_date)))

    @classmethod
    def _payout_configuration(cls):
        "Return the marketplace configuration, refused if it lacks a field"
        Configuration = Pool().get('marketplace.configuration')
        config = Configuration(1)
        for name in ['commission_product', 'payout_journal',
                'self_billing_sequence']:
            if not getattr(config, name):
                raise PayoutError(gettext(
                        'marketplace_sales_payout'
                        '.msg_payout_missing_configuration',
                        field=field_label(Configuration, name)))
        return config

    @classmethod
    def _payout_chunk(cls, chunk, from_date, to_date, config):
        """Create and post the invoices of a chunk of (key, products) to
        bill (see bulk.invoice_chunks) and return their ids.

        The vendors of the chunk are browsed together: each write of the
        chunk empties the record caches, and reading a Function field
        (payable account) of one vendor computes it for its whole list.
        Only the ids are returned: a posted invoice instance holds its
        lines, taxes and move."""
        pool = Pool()
        Party = pool.get('party.party')
        Currency = pool.get('currency.currency')
        vendors = Party.browse([key[1] for key, _ in chunk])
        invoices = [
            cls._get_payout_invoice(key[0], vendor, Currency(key[2]), config)
            for (key, _), vendor in zip(chunk, vendors)]
        for invoice in invoices:
            invoice.marketplace_period_start = from_date
            invoice.marketplace_period_end = to_date
        # the taxes of the lines, computed when the taxes are updated and
        # again for the moves, read each tax once (see tax.py)
        with shared_taxes():
            cls._payout_invoices(invoices, [p for _, p in chunk], config)
        transaction = Transaction()
        bulk.store_log_records(transaction)
        bulk.clear_record_caches(transaction)
        return [invoice.id for invoice in invoices]

    @classmethod
    def _payout_rows(cls, columns, query, order_by=None):
        "Return the select of columns of the sales of query (_payout_query)"
        table = cls.__table__()
        return table.select(
            *[getattr(table, c) for c in columns],
            where=table.id.in_(query),
            order_by=[getattr(table, c).asc for c in order_by or []])

    @classmethod
    def _payout_totals(cls, query):
        """Return the sales of query (_payout_query, which applies the
        record rules) summed per (company, vendor, currency), ordered by
        key: a list of (key, PayoutTotal(sales, net, commission, payout)),
        read as they are summed"""
        totals = {}
        with bulk.streamed() as cursor:
            cursor.execute(*cls._payout_rows(
                    ['company', 'vendor', 'currency', 'net_amount',
                        'commission_amount', 'payout_amount'],
                    query))
            for row in cursor:
                key = tuple(row[:3])
                total = totals.get(key)
                if total is None:
                    total = totals[key] = _amounts()
                _add_amounts(total, row)
        return [(key, PayoutTotal(*totals[key])) for key in sorted(totals)]

    @classmethod
    def _payout_groups(cls, cursor, query):
        """Yield the sales of query (_payout_query, which applies the record
        rules), read on cursor (of bulk.streamed) as they are yielded, as
        ((company, vendor, currency), products) ordered by key, products
        being a list of PayoutProduct (product, quantity, net, commission,
        payout, ids) ordered by product"""
        cursor.execute(*cls._payout_rows(
                ['company', 'vendor', 'currency', 'product', 'id',
                    'quantity', 'net_amount', 'commission_amount',
                    'payout_amount'],
                query,
                order_by=['company', 'vendor', 'currency', 'product', 'id']))
        for key, key_rows in groupby(cursor, key=lambda r: tuple(r[:3])):
            products = []
            for product, product_rows in groupby(
                    key_rows, key=lambda r: r[3]):
                ids, quantity, total = array('q'), 0, _amounts()
                for row in product_rows:
                    ids.append(row[4])
                    quantity += row[5]
                    _add_amounts(total, row)
                products.append(PayoutProduct(
                        product, quantity, *total[1:], ids))
            yield key, products

    @classmethod
    def _payout_invoices(cls, invoices, groups, config):
        """Save the invoices with their lines, link their sales and post
        them; groups are the PayoutProduct lists of each invoice"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Product = pool.get('product.product')
        Invoice.save(invoices)

        # the products of the chunk, browsed together in each company
        # (the commission product too: one instance for all its lines)
        products, product_ids = {}, defaultdict(set)
        commission_id = config.commission_product.id
        for invoice, group in zip(invoices, groups):
            product_ids[invoice.company.id].update(p.product for p in group)
            product_ids[invoice.company.id].add(commission_id)
        for company_id, ids in product_ids.items():
            with Transaction().set_context(company=company_id):
                products.update(((company_id, p.id), p)
                    for p in bulk.browse(Product, sorted(ids)))
        lines, line_sales = [], []
        for invoice, group in zip(invoices, groups):
            for item in group:
                lines.append(cls._get_payout_revenue_line(
                        invoice, products[invoice.company.id, item.product],
                        item.quantity, item.net))
                line_sales.append((invoice.id, item.ids))
            # the stored commissions, as the self-billing breakdown prints
            # them: with commission + payout = net on every sale, the
            # invoice's untaxed total is the sum of the payouts
            lines.append(cls._get_payout_commission_line(
                    invoice, products[invoice.company.id, commission_id],
                    -sum(p.commission for p in group)))
            line_sales.append((invoice.id, []))
        InvoiceLine.save(lines)
        Invoice.update_taxes(invoices)

        cls._payout_link([
                (invoice_id, line.id, sale_ids)
                for line, (invoice_id, sale_ids) in zip(lines, line_sales)
                if sale_ids])
        # browsed again in the context: a record saves with its own context
        with Transaction().set_context(_marketplace_payout_post=True):
            Invoice.post(Invoice.browse(invoices))

    @classmethod
    def _payout_link(cls, links):
        """Link the sales to their vendor invoice line and move them to
        awaiting payment; links is a list of (invoice id, invoice line id,
        sale ids)"""
        # at most CHUNK sales per SQL query, BROWSE per ORM call
        if cls._payout_link_by_sql():
            link, size = cls._payout_link_sql, bulk.CHUNK
        else:
            link, size = cls._payout_write, bulk.BROWSE
        chunk, count = [], 0
        for invoice_id, line_id, sale_ids in links:
            for sub_ids in chunks(list(sale_ids), size):
                if count + len(sub_ids) > size and chunk:
                    link(chunk)
                    chunk, count = [], 0
                chunk.append((invoice_id, line_id, sub_ids))
                count += len(sub_ids)
        if chunk:
            link(chunk)

    @classmethod
    def _payout_link_by_sql(cls):
        """Whether the sales can be linked with SQL (bulk.link_sales): no
        trigger watches their writes and no history is kept, see _by_sql"""
        return cls._by_sql('write')

    @classmethod
    def _payout_link_sql(cls, links):
        "Link the sales as _payout_write does, with SQL (bulk.link_sales)"
        bulk.link_sales(cls, links)

    @classmethod
    def _payout_write(cls, links):
        """Link the sales to their invoice line and move them to awaiting
        payment with the ORM (its validation, triggers and history)"""
        args = []
        ids = []
        for invoice_id, line_id, sale_ids in links:
            args.extend((cls.browse(sale_ids), {
                        'vendor_invoice': invoice_id,
                        'vendor_invoice_line': line_id,
                        }))
            ids.extend(sale_ids)
        # the payout's own workflow fields, whoever runs it
        with without_check_access():
            cls.write(*args)
            cls.wait_payment(cls.browse(ids))

    @classmethod
    def _check_payout_vendors(cls, companies, vendors):
        "Raise a PayoutError if a vendor to bill lacks what its invoice needs"
        for vendor in vendors:
            cls._check_payout_vendor(vendor)
        cls._check_payout_legal_data(companies, vendors)

    @classmethod
    def _check_payout_vendor(cls, vendor):
        "Raise a PayoutError saying what the vendor lacks to be billed"
        lack = cls._payout_vendor_lack(vendor)
        if lack:
            raise PayoutError(gettext(
                    'marketplace_sales_payout.msg_payout_vendor_no_%s' % lack,
                    vendor=vendor.rec_name))

    @classmethod
    def _payout_vendor_lack(cls, vendor):
        """What the vendor lacks for its invoice: 'payable' (no payable
        account), 'address' (no invoice address) or None"""
        try:
            payable = vendor.account_payable_used
        except AccountMissing:
            payable = None
        if not payable:
            return 'payable'
        if not vendor.address_get(type='invoice'):
            return 'address'

    @classmethod
    def _check_payout_legal_data(cls, companies, vendors):
        """Raise a PayoutError listing every party that lacks a datum the
        self-billing invoice must print, when the company is established
        in France (the invoice is then a French legal invoice): a complete
        postal address for all, SIREN and VAT number for the parties
        established in France"""
        pool = Pool()
        Company = pool.get('company.company')
        incomplete = []
        vendors = list(vendors)
        for company in Company.browse(sorted(companies)):
            if not _in_france(company.party):
                continue
            for party in [company.party] + vendors:
                missing = _missing_legal_data(party)
                if missing and (party, missing) not in incomplete:
                    incomplete.append((party, missing))
        if incomplete:
            raise PayoutError(gettext(
                    'marketplace_sales_payout.msg_payout_vendor_legal_data',
                    parties='; '.join('%s (%s)' % (p.rec_name, ', '.join(m))
                        for p, m in incomplete)))

    @classmethod
    def payout(cls, from_date, to_date, vendors=None):
        """Bill the period and queue the e-mails of the vendor invoices.
        Return the invoices, the vendors skipped and the invoices whose
        vendor has no e-mail address."""
        Invoice = Pool().get('account.invoice')
        invoices, skipped = cls.bill(from_date, to_date, vendors)
        not_mailed = Invoice.marketplace_queue_payout_emails(invoices)
        return invoices, skipped, not_mailed

    @classmethod
    def payout_previous_month(cls):
        "Bill every vendor for the previous month (scheduled action)"
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        to_date = today.replace(day=1) - datetime.timedelta(days=1)
        from_date = to_date.replace(day=1)
        try:
            invoices, skipped, not_mailed = cls.payout(from_date, to_date)
        except NothingToBillError as exception:
            logger.info("marketplace payout %s..%s: %s",
                from_date, to_date, exception.message)
            return
        logger.info(
            "marketplace payout %s..%s: %d vendor invoices, "
            "%d vendors skipped, %d not e-mailed",
            from_date, to_date, len(invoices), len(skipped), len(not_mailed))

    @classmethod
    def _payout_skip_reason(cls, total, minimum):
        """Why a vendor whose payout of the period sums to total is not
        billed: 'negative' (clawbacks exceed sales), 'minimum' (nothing or
        less than the minimum payout to pay) or None when it is billed"""
        if total < 0:
            return 'negative'
        if not total or total < minimum:
            return 'minimum'

    @classmethod
    def _get_payout_invoice(cls, company, vendor, currency, config):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        with Transaction().set_context(company=company):
            today = Date.today()
        invoice = Invoice(
            company=company,
            type='in',
            journal=config.payout_journal,
            party=vendor,
            invoice_address=vendor.address_get(type='invoice'),
            currency=currency,
            account=vendor.account_payable_used,
            payment_term=vendor.supplier_payment_term,
            invoice_date=today,
            marketplace_self_billing=True,
            )
        return invoice

    @classmethod
    def _get_payout_revenue_line(cls, invoice, product, quantity, amount):
        "Return the line billing quantity of product for amount (its sales)"
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        # product is an instance browsed with the other products of the run
        # (in the invoice's company): its fields are read once for all
        line = InvoiceLine(
            invoice=invoice, currency=invoice.currency,
            company=invoice.company, type='line', product=product)
        line.on_change_product()
        digits = InvoiceLine.unit_price.digits[1]
        unit_price = None
        if quantity:
            unit_price = (amount / Decimal(str(quantity))).quantize(
                Decimal(1).scaleb(-digits))
        if unit_price is not None and invoice.currency.round(
                unit_price * Decimal(str(quantity))) == amount:
            line.quantity = quantity
            line.unit_price = unit_price
        else:
            line.quantity = 1
            line.unit_price = round_price(amount)
            line.description = gettext(
                'marketplace_sales_payout.msg_payout_line_description',
                product=product.rec_name, quantity=quantity)
        return line

    @classmethod
    def _get_payout_commission_line(cls, invoice, product, amount):
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        line = InvoiceLine(
            invoice=invoice, currency=invoice.currency,
            company=invoice.company, type='line', product=product)
        line.on_change_product()
        line.quantity = 1
        line.unit_price = round_price(amount)
        return line


def _amounts():
    "Return an empty sum of sales: [count, net, commission, payout]"
    return [0, Decimal(0), Decimal(0), Decimal(0)]


def _add_amounts(total, row):
    """Add to total (of _amounts) a sale read as a row whose last columns
    are its net, commission and payout amounts"""
    total[0] += 1
    total[1] += to_decimal(row[-3])
    total[2] += to_decimal(row[-2])
    total[3] += to_decimal(row[-1])


def _in_france(party):
    address = party.address_get(type='invoice')
    return bool(address and address.country and address.country.code == 'FR')


def _missing_legal_data(party):
    "Return the labels of the mandatory data the party lacks"
    address = party.address_get(type='invoice')
    missing = []
    if not (address and address.street and address.postal_code
            and address.city and address.country):
        missing.append(gettext(
                'marketplace_sales_payout.msg_legal_data_address'))
    if address and address.country and address.country.code == 'FR':
        if not any(i.type in {'fr_siren', 'fr_siret'}
                for i in party.identifiers):
            missing.append(gettext(
                    'marketplace_sales_payout.msg_legal_data_siren'))
        if not party.tax_identifier:
            missing.append(gettext(
                    'marketplace_sales_payout.msg_legal_data_vat'))
    return missing


PayoutProduct = namedtuple(
    'PayoutProduct',
    ['product', 'quantity', 'net', 'commission', 'payout', 'ids'])
PayoutTotal = namedtuple(
    'PayoutTotal', ['sales', 'net', 'commission', 'payout'])


