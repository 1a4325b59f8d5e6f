# This file is part of the marketplace modules for Tryton.
"""The mechanics of a payout of many sales: locks, chunks, bulk SQL.

A payout bills every sale of a period in one transaction.  What keeps it
linear in the number of sales lives here, apart from the billing rules of
payout.py:

- Tryton checks the whole id list for each record it instantiates
  (ModelStorage.__init__), so a list of N records costs N²: records are
  browsed BROWSE at a time and the invoices are made INVOICE_CHUNK at a
  time (see invoice_chunks).
- Every write and transition queues an ir.model.log record in the
  transaction until commit: store_log_records saves them as the run goes.
- The transaction keeps the records it reads, up to the record cache size
  (2,000) for each of the twenty-odd models a payout reads, until commit:
  clear_record_caches empties them after each chunk.
- Every lock is taken before any work (see lock and lock_where), so Tryton
  never restarts the call to take one.
- No list of every sale is held: the sales are locked with one query
  (lock_where) and read through a cursor that fetches them as they are
  read (streamed), once to sum them per vendor and once as each vendor is
  billed.
- On PostgreSQL every query is planned with its values, and merge joins
  are avoided (see custom_plans).
"""
import itertools
import time
from contextlib import contextmanager

from sql import Cast, For, Literal
from sql.aggregate import Count
from sql.conditionals import Case
from sql.functions import CurrentTimestamp
from sql.operators import Concat

from trytond import backend
from trytond.i18n import gettext
from trytond.modules.marketplace_sales.common import chunks
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

from .exceptions import PayoutError

# Sales per SQL query (lock, link)
CHUNK = 1000
# Records instantiated in one list
BROWSE = 200
# Invoices and invoice lines made, saved and posted together: smaller
# chunks post more often, larger ones hold more memory and are no faster
INVOICE_CHUNK = 25
LINE_CHUNK = 1000
# How long a lock held by another transaction is waited for
LOCK_ATTEMPTS = 20
LOCK_DELAY = 0.15


def browse(Model, ids):
    "Return the records of ids, instantiated BROWSE at a time"
    records = []
    for sub_ids in chunks(list(ids), BROWSE):
        records.extend(Model.browse(sub_ids))
    return records


def invoice_chunks(to_bill):
    """Split the (key, products) to bill into chunks of at most
    INVOICE_CHUNK invoices and LINE_CHUNK lines (one invoice at least), so
    that vendors with many products do not make long lists of lines"""
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


def custom_plans():
    """Have PostgreSQL plan each query of the rest of the transaction with
    its values (SET LOCAL plan_cache_mode) and prefer other joins to merge
    joins (SET LOCAL enable_mergejoin).

    psycopg prepares a query run five times; PostgreSQL may then keep a
    generic plan, estimated without the values.  Tryton checks the
    products of the new invoice lines with a search in the products'
    order, which joins the translations of every product name: the
    generic plan counts 20 of them where a marketplace of 100,000 products
    has 100,000, and sorts them again for each product of the chunk
    (8 s a chunk at 1,000,000 sales against 0.05 s planned with the
    values).

    Stock reads the stock moves of the new invoice lines when it validates
    them and when it posts their invoices, ordered by product name: a
    merge join sorts the translations of every product name first, even
    for lines with no stock move (45 to 80 ms a read with 100,000 products,
    twice a chunk); the hash join PostgreSQL takes instead reads the
    lines' moves first and stops there (0.1 ms)."""
    if backend.name == 'postgresql':
        cursor = Transaction().connection.cursor()
        cursor.execute('SET LOCAL plan_cache_mode = force_custom_plan')
        cursor.execute('SET LOCAL enable_mergejoin = off')


def store_log_records(transaction):
    """Save now, in the transaction, the ir.model.log records it queued,
    BROWSE at a time (Tryton saves them in one list at commit), and empty
    the queue: memory does not grow with the run"""
    Log = Pool().get('ir.model.log')
    records = transaction.log_records
    if records:
        with without_check_access():
            for i in range(0, len(records), BROWSE):
                Log.save(records[i:i + BROWSE])
        records.clear()


def clear_record_caches(transaction):
    """Empty the transaction's record caches, as its commit does.

    They hold only values read from the database, read again when needed.
    Kept for the whole run, they fill to the record cache size for each
    model the payout reads (invoices, lines, taxes, moves, parties and
    their addresses, products...): 11 MB of a payout of 1,000 vendors."""
    for cache in transaction.cache.values():
        cache.clear()


def tryton_locks(transaction):
    """Return the tables and the records per table the transaction holds
    locked: (set of tables, {table: set of ids}).

    Tryton keeps them in private attributes of its Transaction (filled
    when it restarts a call to take a lock, read by lock_table and
    lock_records) and offers no public way to register a lock taken
    otherwise: this is the one place that depends on them."""
    return transaction._locked_tables, transaction._locked_records


def lock(table, ids=None):
    """Lock the table (ids None) or its rows of ids NOWAIT, CHUNK rows at a
    time, and register them as locked in the transaction"""
    transaction = Transaction()
    database, connection = transaction.database, transaction.connection
    locked_tables, locked_records = tryton_locks(transaction)
    if ids is None:
        if table not in locked_tables:
            _nowait(lambda: database.lock(connection, table))
            locked_tables.add(table)
        return
    ids = set(ids) - locked_records[table]
    for sub_ids in chunks(sorted(ids)):
        _nowait(lambda: database.lock_records(connection, table, sub_ids))
    locked_records[table].update(ids)


def lock_where(table, where):
    """Lock the rows of table (a python-sql table) matching where, NOWAIT,
    with one query that returns only their count: the payout of a million
    sales holds no list of their ids.  On SQLite it does nothing, as
    Tryton's lock_records: a write locks the whole database.

    Unlike lock, the rows are not registered in the transaction: no code
    of the payout locks the sales with Model.lock.  Code that would is
    restarted by Tryton with the lock taken first."""
    if backend.name != 'postgresql':
        return
    cursor = Transaction().connection.cursor()
    rows = table.select(
        Literal(1), where=where, for_=For('UPDATE', nowait=True))
    _nowait(lambda: cursor.execute(*rows.select(Count(Literal(1)))))


@contextmanager
def streamed():
    """Yield a cursor whose rows are fetched as they are read, to read a
    result too large to hold at once, while the transaction goes on
    writing.

    On PostgreSQL it is a server-side cursor, planned to read all its
    rows: psycopg holds the whole result of a query run on a client-side
    cursor (the million rows of a payout of a million sales).  SQLite does
    not define what a query being read sees of the writes made meanwhile:
    there the result is fetched whole when the query runs."""
    connection = Transaction().connection
    if backend.name != 'postgresql':
        yield _Fetched(connection.cursor())
        return
    connection.cursor().execute('SET LOCAL cursor_tuple_fraction = 1')
    cursor = connection.cursor(name='marketplace_streamed_%d' % next(_names))
    cursor.itersize = 2000
    try:
        yield cursor
    finally:
        cursor.close()


_names = itertools.count()


class _Fetched:
    "A cursor whose result is fetched whole when its query runs"

    def __init__(self, cursor):
        self._cursor = cursor
        self._rows = iter(())

    def execute(self, *args):
        self._cursor.execute(*args)
        self._rows = iter(self._cursor.fetchall())

    def __iter__(self):
        return self._rows


def _nowait(take):
    """Call take() (a NOWAIT lock); retry a few times when the lock is held,
    then raise a clear PayoutError.  Other database errors (serialization
    failures) go up so the dispatcher restarts the call.

    On PostgreSQL a failed statement aborts the transaction: a savepoint
    around each attempt keeps it usable."""
    cursor = Transaction().connection.cursor()
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


def link_sales(Sale, links):
    """Link the sales to their vendor invoice line and move them to awaiting
    payment with SQL; links is a list of (invoice id, invoice line id, sale
    ids).

    It writes what Sale.write and the wait_payment transition would: the
    links, the state, the write user and date with one UPDATE, and with one
    INSERT the transition entry of each sale in the audit log
    (ir.model.log), as Workflow.transition does.  The ORM would add only
    its cost: it reads every sale back to check the workflow and the
    required fields, none of which the payout changes.  The caller uses it
    only where nothing else watches the sales (no trigger, no history, see
    MarketplaceSale._by_sql).

    The sales are locked and were read 'to_invoice' in this transaction:
    any other count of updated rows means they changed, and rolls back."""
    pool = Pool()
    Log = pool.get('ir.model.log')
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Sale.__table__()
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
    log = Log.__table__()
    cursor.execute(*log.insert(
            [log.create_uid, log.create_date, log.resource, log.event,
                log.target, log.user],
            table.select(
                Literal(transaction.user), CurrentTimestamp(),
                Concat(Sale.__name__ + ',', Cast(table.id, 'VARCHAR')),
                Literal('transition'), Literal('state:awaiting_payment'),
                Literal(transaction.user),
                where=table.id.in_(sale_ids))))
    # as ModelStorage._before_write: no cache keeps the old values
    transaction.counter += 1
    for cache in transaction.cache.values():
        if Sale.__name__ in cache:
            cache_sale = cache[Sale.__name__]
            for sale_id in sale_ids:
                cache_sale.pop(sale_id, None)
