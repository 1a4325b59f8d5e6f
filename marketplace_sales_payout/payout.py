# This file is part of the marketplace modules for Tryton.
import datetime
import logging
import time
from array import array
from collections import defaultdict, namedtuple
from decimal import Decimal
from itertools import groupby

from sql import Cast, Literal
from sql.conditionals import Case
from sql.functions import CurrentTimestamp
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.modules.account.exceptions import AccountMissing
from trytond.modules.product import round_price
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import NothingToBillError, PayoutError
from .tax import shared_taxes

CHUNK = 1000
# Records instantiated in one list: ModelStorage.__init__ checks the whole id
# list for each record, so a list of N records costs N² (asserts).
BROWSE = 200
INVOICE_CHUNK = 25
LINE_CHUNK = 1000
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
    def _payout_lock(cls, sale_ids, config):
        """Take every lock the payout needs before any work.

        The sales rows, the self-billing strict sequence and the journal
        periods (locked by Invoice.post) are locked NOWAIT and registered as
        locked in the transaction, so Tryton never restarts the call to take
        them.  A lock held by another transaction is waited for a short while
        (savepoints keep the transaction usable); then the user is told a
        payout is running."""
        pool = Pool()
        Sequence = pool.get('ir.sequence.strict')
        JournalPeriod = pool.get('account.journal.period')
        transaction = Transaction()
        Date = pool.get('ir.date')
        locks = [(cls._table, sale_ids)] if sale_ids else []
        sequence_ids = [config.self_billing_sequence.id]
        company = transaction.context.get('company')
        period = None
        if company:
            # Move.post numbers the invoice move in this strict sequence
            Period = pool.get('account.period')
            period = Period.find(company, date=Date.today(), test_state=False)
            if period and period.move_sequence_used:
                sequence_ids.append(period.move_sequence_used.id)
        locks.append((Sequence._table, sequence_ids))
        # Move.post locks the whole journal-period table only to create the
        # missing journal period: do the same, and only then, so other
        # postings of the company are not held for the whole run
        if not (company and period and JournalPeriod.search([
                        ('journal', '=', config.payout_journal.id),
                        ('period', '=', period.id),
                        ], limit=1)):
            locks.append((JournalPeriod._table, None))
        for table, ids in locks:
            if ids is None:
                if table in transaction._locked_tables:
                    continue
                _nowait(lambda: transaction.database.lock(
                        transaction.connection, table))
                transaction._locked_tables.add(table)
            else:
                ids = set(ids) - transaction._locked_records[table]
                for sub_ids in _chunks(sorted(ids)):
                    _nowait(lambda: transaction.database.lock_records(
                            transaction.connection, table, sub_ids))
                transaction._locked_records[table].update(ids)

    @classmethod
    def bill(cls, from_date, to_date, vendors=None):
        """Create, post and return the vendor invoices of the period and the
        vendors skipped (below the minimum or negative)"""
        pool = Pool()
        Configuration = pool.get('marketplace.configuration')
        Party = pool.get('party.party')
        Currency = pool.get('currency.currency')
        Invoice = pool.get('account.invoice')

        if from_date > to_date:
            raise PayoutError(gettext(
                    'marketplace_sales_payout.msg_payout_period_invalid',
                    from_date=from_date, to_date=to_date))
        config = Configuration(1)
        for name in ['commission_product', 'payout_journal',
                'self_billing_sequence']:
            if not getattr(config, name):
                raise PayoutError(gettext(
                        'marketplace_sales_payout'
                        '.msg_payout_missing_configuration',
                        field=Configuration._fields[name].string))

        # One SQL read, kept as sums and ids per product: no record
        # instances (a browse list of N sales costs N² in
        # ModelStorage.__init__) and no row per sale held for the whole run
        groups = cls._payout_groups(from_date, to_date, vendors)
        ids = [i for _, products in groups for p in products for i in p.ids]
        cls._payout_lock(ids, config)
        if not ids:
            raise NothingToBillError(gettext(
                    'marketplace_sales_payout.msg_payout_nothing_to_bill',
                    from_date=from_date, to_date=to_date))
        del ids

        parties = {}
        for sub_ids in _chunks(sorted({k[1] for k, _ in groups}), BROWSE):
            parties.update((p.id, p) for p in Party.browse(sub_ids))
        minimum = config.minimum_payout or Decimal(0)
        skipped, to_bill = [], []
        for key, products in groups:
            total = sum(p.payout for p in products)
            vendor = parties[key[1]]
            if cls._payout_skip_reason(total, minimum):
                skipped.append((vendor, Currency(key[2]), total))
                continue
            cls._check_payout_vendor(vendor)
            to_bill.append((key, products))
        cls._check_payout_legal_data(
            {k[0] for k, _ in to_bill},
            [parties[k[1]] for k, _ in to_bill])
        if not to_bill:
            raise NothingToBillError(gettext(
                    'marketplace_sales_payout.msg_payout_all_skipped',
                    minimum=minimum,
                    vendors=', '.join(
                        '%s (%s %s)' % (v.rec_name, t, c.code)
                        for v, c, t in skipped)))
        # Vendors by chunks: every list Tryton instantiates stays short, so
        # the run is linear in the number of sales and vendors.  All locks
        # are held already: posting a chunk never restarts the transaction.
        # Only the ids of the billed invoices are kept: a posted invoice
        # instance holds its lines, taxes and move until it is released.
        # The vendors of each chunk are browsed again together: the list
        # above holds up to BROWSE vendors and, as every write of a chunk
        # empties the record caches, reading one vendor's Function fields
        # (payable account) would compute them for the whole list again.
        del parties
        transaction = Transaction()
        invoice_ids = []
        for chunk in _invoice_chunks(to_bill):
            chunk_vendors = Party.browse([key[1] for key, _ in chunk])
            invoices = [
                cls._get_payout_invoice(
                    key[0], vendor, Currency(key[2]), config)
                for (key, _), vendor in zip(chunk, chunk_vendors)]
            for invoice in invoices:
                invoice.marketplace_period_start = from_date
                invoice.marketplace_period_end = to_date
            # the taxes of the lines, computed when the taxes are updated
            # and again for the moves, read each tax once (see tax.py)
            with shared_taxes():
                cls._payout_invoices(
                    invoices, [p for _, p in chunk], config)
            invoice_ids.extend(inv.id for inv in invoices)
            # Every write and transition of the invoices and moves queues an
            # ir.model.log holding its record until commit: save them now,
            # in this same transaction, so memory does not grow with the run
            _store_log_records(transaction)
        invoices = []
        for sub_ids in _chunks(invoice_ids, BROWSE):
            invoices.extend(Invoice.browse(sub_ids))
        return invoices, skipped

    @classmethod
    def _payout_groups(cls, from_date, to_date, vendors=None):
        """Return the sales to bill as a list of ((company, vendor, currency),
        products) ordered by key, products being a list of PayoutProduct
        (product, quantity, net, commission, payout, ids) ordered by
        product, read with one SQL query (the search applies the record
        rules)"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        query = cls.search(
            cls._payout_domain(from_date, to_date, vendors), order=[],
            query=True)
        cursor.execute(*table.select(
                table.company, table.vendor, table.currency, table.product,
                table.id, table.quantity, table.net_amount,
                table.commission_amount, table.payout_amount,
                where=table.id.in_(query),
                order_by=[table.company.asc, table.vendor.asc,
                    table.currency.asc, table.product.asc, table.id.asc]))
        groups = []
        for key, rows in groupby(cursor, key=lambda r: tuple(r[:3])):
            products = []
            for product, product_rows in groupby(rows, key=lambda r: r[3]):
                ids, quantity = array('q'), 0
                net = commission = payout = Decimal(0)
                for row in product_rows:
                    ids.append(row[4])
                    quantity += row[5]
                    net += _decimal(row[6])
                    commission += _decimal(row[7])
                    payout += _decimal(row[8])
                products.append(PayoutProduct(
                        product, quantity, net, commission, payout, ids))
            groups.append((key, products))
        return groups

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
                for sub_ids in _chunks(sorted(ids), BROWSE):
                    products.update(((company_id, p.id), p)
                        for p in Product.browse(sub_ids))
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
            link, size = cls._payout_link_sql, CHUNK
        else:
            link, size = cls._payout_write, BROWSE
        chunk, count = [], 0
        for invoice_id, line_id, sale_ids in links:
            for sub_ids in _chunks(list(sale_ids), size):
                if count + len(sub_ids) > size and chunk:
                    link(chunk)
                    chunk, count = [], 0
                chunk.append((invoice_id, line_id, sub_ids))
                count += len(sub_ids)
        if chunk:
            link(chunk)

    @classmethod
    def _payout_link_by_sql(cls):
        """Whether the sales can be linked with SQL: what the ORM would add
        is then nothing but its cost (it reads every sale twice, to check
        the workflow and the required fields the payout does not change:
        6 s of the 66 s of a profiled 10,000-sale payout).  See _by_sql"""
        return cls._by_sql('write')

    @classmethod
    def _payout_link_sql(cls, links):
        """Write what _payout_write writes with one UPDATE: the links, the
        state, the write user and date, and with one INSERT the transition
        in the audit log (ir.model.log), as Tryton would.  The sales are
        locked and were read 'to_invoice' in this transaction: any other
        count means they changed, and rolls back"""
        pool = Pool()
        Log = pool.get('ir.model.log')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        sale_ids = [i for _, _, ids in links for i in ids]

        def case(index):
            return Case(*((table.id.in_(link[2]), link[index])
                    for link in links))
        cursor.execute(*table.update(
                [table.vendor_invoice, table.vendor_invoice_line,
                    table.state, table.write_uid, table.write_date],
                [case(0), case(1), 'awaiting_payment', transaction.user,
                    CurrentTimestamp()],
                where=table.id.in_(sale_ids)
                & (table.state == 'to_invoice')))
        if cursor.rowcount != len(sale_ids):
            raise PayoutError(gettext(
                    'marketplace_sales_payout.msg_payout_sales_changed'))
        # Tryton's transition entry of each sale (Workflow.transition)
        log = Log.__table__()
        cursor.execute(*log.insert(
                [log.create_uid, log.create_date, log.resource, log.event,
                    log.target, log.user],
                table.select(
                    Literal(transaction.user), CurrentTimestamp(),
                    Concat(cls.__name__ + ',', Cast(table.id, 'VARCHAR')),
                    Literal('transition'), Literal('state:awaiting_payment'),
                    Literal(transaction.user),
                    where=table.id.in_(sale_ids))))
        # as ModelStorage._before_write: no cache keeps the old values
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                cache_cls = cache[cls.__name__]
                for sale_id in sale_ids:
                    cache_cls.pop(sale_id, None)

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
    def _check_payout_vendor(cls, vendor):
        "Raise a PayoutError saying what the vendor lacks to be billed"
        try:
            payable = vendor.account_payable_used
        except AccountMissing:
            payable = None
        if not payable:
            raise PayoutError(gettext(
                    'marketplace_sales_payout.msg_payout_vendor_no_payable',
                    vendor=vendor.rec_name))
        if not vendor.address_get(type='invoice'):
            raise PayoutError(gettext(
                    'marketplace_sales_payout.msg_payout_vendor_no_address',
                    vendor=vendor.rec_name))

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


def _decimal(value):
    "The amount as Decimal (SQLite returns floats or strings)"
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _store_log_records(transaction):
    """Save the ir.model.log records queued in the transaction by BROWSE:
    Tryton saves them in one list, whose validation costs N² in
    ModelStorage.__init__ (2,000 logs per chunk of invoices: 15 s of a
    10,000 sales payout without -O)"""
    Log = Pool().get('ir.model.log')
    records = transaction.log_records
    if records:
        with without_check_access():
            for i in range(0, len(records), BROWSE):
                Log.save(records[i:i + BROWSE])
    transaction._clear_log_records()


def _invoice_chunks(to_bill):
    """Split the (key, products) to bill into chunks of at most
    INVOICE_CHUNK invoices and LINE_CHUNK lines (one invoice at least), so
    that vendors with many products do not make long lists of lines (N² in
    ModelStorage.__init__).  25 invoices per chunk is the fastest size
    measured with bench/payout.py at 10,000 sales: smaller chunks post
    more often, larger ones are no faster and hold more memory"""
    chunk, lines = [], 0
    for key, products in to_bill:
        size = len(products) + 1  # and the commission line
        if chunk and (len(chunk) >= INVOICE_CHUNK
                or lines + size > LINE_CHUNK):
            yield chunk
            chunk, lines = [], 0
        chunk.append((key, products))
        lines += size
    if chunk:
        yield chunk


def _chunks(ids, size=CHUNK):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


LOCK_ATTEMPTS = 20
LOCK_DELAY = 0.15


def _nowait(take):
    """Call take() (a NOWAIT lock); retry a few times when the lock is held,
    then raise a clear PayoutError.  Other database errors (serialization
    failures) go up so the dispatcher restarts the call."""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    savepoint = backend.name == 'postgresql'
    for attempt in range(LOCK_ATTEMPTS):
        if savepoint:
            cursor.execute('SAVEPOINT marketplace_payout_lock')
        try:
            take()
        except backend.DatabaseOperationalError as exception:
            if getattr(exception, 'sqlstate', None) != '55P03':
                raise
            cursor.execute('ROLLBACK TO SAVEPOINT marketplace_payout_lock')
            time.sleep(LOCK_DELAY)
            continue
        if savepoint:
            cursor.execute('RELEASE SAVEPOINT marketplace_payout_lock')
        return
    raise PayoutError(gettext('marketplace_sales_payout.msg_payout_running'))
