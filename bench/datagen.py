#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""Benchmark data generator shared by the bench/ scripts (PostgreSQL).

Databases (all named ``bench_marketplace_*``):

- ``bench_marketplace_base``: the modules (marketplace_sales_payout,
  commission, sales_dashboard) activated, company, French-like chart,
  fiscal year with periods, a 20 % customer and supplier tax, the marketplace
  configuration, a commission plan and journal for the reference. Built
  once through proteus (about 3 min on 2 cores).
- ``bench_marketplace_s<sales>_v<vendors>``: a template copy of the base
  with <vendors> vendors (each also a commission agent), 10 products each,
  <sales>/10 paid customer invoices of 10 lines, one ``to_invoice``
  marketplace sale per line and one uninvoiced commission per line (the
  reference). Master data is created with batched ``create``; invoices,
  lines, sales and commissions with bulk SQL (COPY), the sale amounts
  computed by ``marketplace_sales.marketplace.compute_amounts``, the very
  function the paid hook uses.
- ``check`` runs the real paid hook on a sample invoice and compares its
  rows column by column with the rows the generator makes for the same
  lines.

Each benchmark copies these with ``CREATE DATABASE x TEMPLATE y`` so runs
never rebuild data.  Usage::

    .venv/bin/python bench/datagen.py base            # (re)build the base
    .venv/bin/python bench/datagen.py volume --sales 10000 --vendors 100
    .venv/bin/python bench/datagen.py dashboard --lines 1000000
    .venv/bin/python bench/datagen.py check           # sample vs real hook
    .venv/bin/python bench/datagen.py update          # -u our modules
    .venv/bin/python bench/datagen.py drop            # drop every bench DB

Set ``TRYTOND_DATABASE_URI`` (default postgresql://postgres@127.0.0.1:5432/).
"""
import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from decimal import Decimal

URI = os.environ.setdefault(
    'TRYTOND_DATABASE_URI', 'postgresql://postgres@127.0.0.1:5432/')
PREFIX = 'bench_marketplace_'
BASE = PREFIX + 'base'
MODULES = ['marketplace_sales_payout', 'commission', 'sales_dashboard']
PRODUCTS_PER_VENDOR = 10
LINES_PER_INVOICE = 10
HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable


# PostgreSQL helpers ------------------------------------------------------

def _dsn(dbname='postgres'):
    from urllib.parse import urlparse
    url = urlparse(URI)
    return (f"host={url.hostname or '127.0.0.1'} port={url.port or 5432} "
        f"user={url.username or 'postgres'} dbname={dbname}"
        + (f" password={url.password}" if url.password else ''))


def connect(dbname='postgres', autocommit=True):
    import psycopg
    return psycopg.connect(_dsn(dbname), autocommit=autocommit)


def db_exists(name):
    with connect() as conn:
        return bool(conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s",
                (name,)).fetchone())


def drop_db(name):
    with connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_db(template, name):
    "Copy template to name (dropping name first)"
    drop_db(name)
    with connect() as conn:
        # a template must have no other session
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        # Write out now what the copy and the previous run left dirty, so
        # that no checkpoint of theirs falls in the next timed run: every
        # run, ours and the reference alike, starts from the same state
        try:
            conn.execute('CHECKPOINT')
        except Exception as exception:  # not allowed to this role
            print(f"no CHECKPOINT before the run: {exception}",
                file=sys.stderr)


def list_dbs():
    with connect() as conn:
        return [r[0] for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (PREFIX + '%',))]


def run_name(template):
    "A database name for one run on a copy of template (unique per process)"
    return template.replace(PREFIX, PREFIX + 'run_', 1) + f'_{os.getpid()}'


def volume_name(sales, vendors):
    return f'{PREFIX}s{sales}_v{vendors}'


def run_python(args, dbname=None, optimize=False, check=True, env=None):
    "Run python [-O] args in a subprocess (its own trytond pool)"
    env = dict(os.environ if env is None else env)
    env.pop('DB_CACHE', None)
    env['TRYTOND_DATABASE_URI'] = URI
    if dbname:
        env['DB_NAME'] = dbname
    cmd = [PYTHON] + (['-O'] if optimize else []) + ['-W', 'ignore'] + args
    return subprocess.run(
        cmd, env=env, check=check, capture_output=True, text=True)


def ensure_base():
    if not db_exists(BASE):
        print(f"building {BASE} (once, a few minutes)...", file=sys.stderr)
        out = run_python([os.path.join(HERE, 'datagen.py'), '_base'],
            dbname=BASE, check=False)
        if out.returncode:
            sys.exit(out.stdout + out.stderr)


def ensure_volume(sales, vendors):
    "Return the name of the template database of that volume"
    ensure_base()
    name = volume_name(sales, vendors)
    if not db_exists(name):
        print(f"building {name}...", file=sys.stderr)
        copy_db(BASE, name + '_tmp')
        out = run_python([os.path.join(HERE, 'datagen.py'), '_volume',
                '--sales', str(sales), '--vendors', str(vendors)],
            dbname=name + '_tmp', check=False)
        if out.returncode:
            drop_db(name + '_tmp')
            sys.exit(out.stdout + out.stderr)
        print(out.stderr.strip(), file=sys.stderr)
        with connect() as conn:
            conn.execute(
                f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
    return name


OUR_MODULES = ['marketplace_sales', 'marketplace_sales_payout',
    'sales_management', 'sales_dashboard']


def update_modules(names=None):
    """Update our modules in the template databases to the code of the
    working tree (trytond-admin -u), activating the modules they have come
    to depend on"""
    admin = os.path.join(os.path.dirname(PYTHON), 'trytond-admin')
    for name in names or [n for n in list_dbs() if '_run_' not in n]:
        print(f"updating {name}...", file=sys.stderr)
        env = dict(os.environ, TRYTOND_DATABASE_URI=URI)
        env.pop('DB_CACHE', None)
        subprocess.run(
            [admin, '-d', name, '--activate-dependencies', '-u']
            + OUR_MODULES,
            env=env, check=True, capture_output=True)


# Base database (proteus) --------------------------------------------------

def build_base():
    from proteus import Model
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, create_tax, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import (
        create_company, get_company)
    from trytond.tests.tools import activate_modules

    activate_modules(MODULES, create_company, create_chart)
    company = get_company()
    today = dt.date.today()
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(today=today))
    fiscalyear.click('create_period')
    accounts = get_accounts()

    tax = create_tax(Decimal('.20'))
    tax.save()
    supplier_tax = create_tax(Decimal('.20'))
    supplier_tax.save()
    Category = Model.get('product.category')
    category = Category(name="Goods", accounting=True)
    category.account_expense = accounts['expense']
    category.account_revenue = accounts['revenue']
    category.customer_taxes.append(tax)
    category.supplier_taxes.append(supplier_tax)
    category.save()

    Uom = Model.get('product.uom')
    Template = Model.get('product.template')
    unit, = Uom.find([('name', '=', 'Unit')])
    template = Template(name="Commission", default_uom=unit)
    template.type = 'service'
    template.list_price = Decimal(0)
    template.account_category = category
    template.save()
    commission_product, = template.products

    Journal = Model.get('account.journal')
    expense_journal, = Journal.find([('type', '=', 'expense')])
    Journal(name="Commission", code='COM', type='commission').save()
    SequenceStrict = Model.get('ir.sequence.strict')
    SequenceType = Model.get('ir.sequence.type')
    sequence_type, = SequenceType.find(
        [('name', '=', "Marketplace Self-Billing")])
    sequence = SequenceStrict(name="Self-billing", prefix='AF-',
        sequence_type=sequence_type, company=company)
    sequence.save()
    Configuration = Model.get('marketplace.configuration')
    configuration = Configuration(1)
    configuration.commission_product = commission_product
    configuration.payout_journal = expense_journal
    configuration.self_billing_sequence = sequence
    configuration.default_commission_rate = Decimal('0.15')
    configuration.save()

    Plan = Model.get('commission.plan')
    plan = Plan(name="Plan", commission_product=commission_product)
    plan.commission_method = 'payment'
    line = plan.lines.new()
    line.formula = 'amount * 0.15'
    plan.save()

    PaymentMethod = Model.get('account.invoice.payment.method')
    journal_cash, = Journal.find([('type', '=', 'cash')])
    method = PaymentMethod(name="Cash", journal=journal_cash)
    method.credit_account = method.debit_account = accounts['cash']
    method.save()
    Party = Model.get('party.party')
    Party(name="Customer").save()
    print("base built")


# Volume database (trytond + bulk SQL) -------------------------------------

def _start(dbname):
    "Open the trytond pool of dbname; return (pool, company id)"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.test = False
    pool = Pool(dbname)
    pool.init()
    with Transaction().start(dbname, 0, readonly=True):
        Company = pool.get('company.company')
        company, = Company.search([])
        return pool, company.id


def create_vendors(pool, company_id, vendors, start=0):
    """Create vendors (each also a commission agent) and their products with
    batched create; return [(vendor id, agent id, [product ids])]"""
    Party = pool.get('party.party')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    Category = pool.get('product.category')
    Plan = pool.get('commission.plan')
    Agent = pool.get('commission.agent')
    Company = pool.get('company.company')
    unit, = Uom.search([('name', '=', 'Unit')])
    category, = Category.search([('name', '=', 'Goods')])
    plan, = Plan.search([])
    company = Company(company_id)
    result = []
    batch = 100
    for b in range(start, start + vendors, batch):
        n = min(batch, start + vendors - b)
        parties = Party.create([{
                    'name': f"Vendor {b + i:05d}",
                    'marketplace_vendor': True,
                    'marketplace_commission_rate': Decimal('0.15'),
                    'marketplace_support_rate': Decimal('0.5'),
                    'addresses': [('create', [{}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'email', 'invoice': True,
                                    'value': f'vendor{b + i}@example.com',
                                    }])],
                    } for i in range(n)])
        agents = Agent.create([{
                    'party': p.id, 'company': company_id,
                    'currency': company.currency.id,
                    'type_': 'agent', 'plan': plan.id,
                    } for p in parties])
        templates = Template.create([{
                    'name': f"Product {p.name[7:]}-{j}",
                    'default_uom': unit.id, 'sale_uom': unit.id,
                    'type': 'service',
                    'salable': True,
                    'list_price': Decimal('10') + j,
                    'account_category': category.id,
                    'marketplace_vendor': p.id,
                    'products': [('create', [{}])],
                    }
                for p in parties for j in range(PRODUCTS_PER_VENDOR)])
        for i, (p, a) in enumerate(zip(parties, agents)):
            ts = templates[i * PRODUCTS_PER_VENDOR:
                (i + 1) * PRODUCTS_PER_VENDOR]
            result.append((p.id, a.id, [t.products[0].id for t in ts]))
    return result


def sale_row(currency, line, date, commission_rate=Decimal('0.15'),
        support_rate=Decimal('0.5'), tax_rate=Decimal('0.2')):
    """The marketplace.sale column values the paid hook stores for line
    (a dict with invoice, invoice_line, product, vendor, customer, company,
    currency, quantity, base_price, unit_price, amount, description, unit)"""
    from trytond.modules.marketplace_sales.common import RATE_QUANTUM
    from trytond.modules.marketplace_sales.marketplace import compute_amounts
    quantity = Decimal(str(line['quantity']))
    values = {
        'company': line['company'], 'currency': line['currency'],
        'date': date, 'vendor': line['vendor'],
        'customer': line['customer'], 'product': line['product'],
        'description': line['description'],
        'quantity': line['quantity'], 'unit': line['unit'],
        'base_price': line['base_price'], 'unit_price': line['unit_price'],
        'net_amount': line['amount'],
        'commission_rate': commission_rate.quantize(RATE_QUANTUM),
        'vendor_support_rate': support_rate.quantize(RATE_QUANTUM),
        'tax_rate': tax_rate.quantize(RATE_QUANTUM),
        'invoice': line['invoice'], 'invoice_line': line['id'],
        'state': 'to_invoice', 'edited': False,
        }
    values.update(compute_amounts(
            currency, line['base_price'], quantity, line['amount'],
            commission_rate, support_rate))
    return values


def _copy(cursor, table, columns, rows):
    "COPY rows into table (rows: iterables of python values)"
    with cursor.copy(
            f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def _next_ids(cursor, table, count):
    "Take count ids from the sequence of table"
    cursor.execute(f"SELECT nextval('{table}_id_seq') "
        "FROM generate_series(1, %s)", (count,))
    return [r[0] for r in cursor.fetchall()]


def fill_volume(dbname, sales, vendors):
    from trytond.transaction import Transaction
    started = time.perf_counter()
    pool, company_id = _start(dbname)
    with Transaction().start(dbname, 0, context={'company': company_id}):
        vendor_rows = create_vendors(pool, company_id, vendors)
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        Journal = pool.get('account.journal')
        Uom = pool.get('product.uom')
        company = Company(company_id)
        currency = company.currency
        customer, = Party.search([('name', '=', "Customer")])
        journal, = Journal.search([('type', '=', 'revenue')])
        unit, = Uom.search([('name', '=', 'Unit')])
        receivable = customer.account_receivable_used
        Category = pool.get('product.category')
        category, = Category.search([('name', '=', 'Goods')])
        revenue = category.account_revenue
        tax, = category.customer_taxes
        Plan = pool.get('commission.plan')
        plan, = Plan.search([])
        address = customer.address_get(type='invoice')
        ids = dict(commission_product=plan.commission_product.id,
            address=address.id,
            company=company_id, currency=currency.id,
            customer=customer.id, journal=journal.id, unit=unit.id,
            receivable=receivable.id, revenue=revenue.id, tax=tax.id)
        Transaction().commit()
        t_master = time.perf_counter() - started
        generate_ledger(dbname, currency, vendor_rows, sales, ids)
    print(f"volume {sales} sales / {vendors} vendors: master data "
        f"{t_master:.0f} s, total {time.perf_counter() - started:.0f} s",
        file=sys.stderr)


def generate_ledger(dbname, currency, vendor_rows, sales, ids,
        today=None):
    """Bulk-insert paid customer invoices of LINES_PER_INVOICE lines, one
    to_invoice marketplace sale and one uninvoiced commission per line.

    Sale k is for vendor k % vendors, product (k // vendors) % 10,
    quantity 1 + k % 3, unit price list price with a 10 % discount every
    fourth sale, dated over the last 28 days."""
    today = today or dt.date.today()
    now = dt.datetime.now()
    vendors = len(vendor_rows)
    n_invoices = -(-sales // LINES_PER_INVOICE)
    with connect(dbname, autocommit=False) as conn, conn.cursor() as cur:
        invoice_ids = _next_ids(cur, 'account_invoice', n_invoices)
        line_ids = _next_ids(cur, 'account_invoice_line', sales)
        sale_ids = _next_ids(cur, 'marketplace_sale', sales)
        commission_ids = _next_ids(cur, 'commission', sales)

        lines, invoices, totals, taxes = [], [], {}, {}
        for k in range(sales):
            vendor, agent, products = vendor_rows[k % vendors]
            j = (k // vendors) % PRODUCTS_PER_VENDOR
            product = products[j]
            base_price = Decimal('10') + j  # the list price
            unit_price = (base_price * Decimal('0.9') if k % 4 == 0
                else base_price).quantize(Decimal('0.0001'))
            quantity = float(1 + k % 3)
            amount = currency.round(unit_price * Decimal(str(quantity)))
            invoice = invoice_ids[k // LINES_PER_INVOICE]
            date = today - dt.timedelta(days=(k // LINES_PER_INVOICE) % 28)
            lines.append({
                    'id': line_ids[k], 'invoice': invoice,
                    'company': ids['company'], 'currency': ids['currency'],
                    'vendor': vendor, 'agent': agent,
                    'customer': ids['customer'], 'product': product,
                    'description': None, 'quantity': quantity,
                    'unit': ids['unit'], 'base_price': base_price,
                    'unit_price': unit_price, 'amount': amount,
                    'date': date,
                    })
            totals[invoice] = totals.get(invoice, Decimal(0)) + amount
        for i, invoice in enumerate(invoice_ids):
            untaxed = totals[invoice]
            tax = taxes[invoice] = currency.round(untaxed * Decimal('0.2'))
            invoices.append((invoice, ids['company'], 'out', 'paid',
                    f'BENCH-{invoice}', lines[i * LINES_PER_INVOICE]['date'],
                    lines[i * LINES_PER_INVOICE]['date'],
                    ids['customer'], ids['address'], ids['journal'],
                    ids['receivable'],
                    ids['currency'], untaxed, tax, untaxed + tax,
                    'Bench', now, 0))
        _copy(cur, 'account_invoice', [
                'id', 'company', 'type', 'state', 'number', 'invoice_date',
                'accounting_date', 'party', 'invoice_address', 'journal',
                'account', 'currency',
                'untaxed_amount_cache', 'tax_amount_cache',
                'total_amount_cache', 'description', 'create_date',
                'create_uid'], invoices)
        _copy(cur, 'account_invoice_line', [
                'id', 'invoice', 'company', 'currency', 'type', 'sequence',
                'product', 'quantity', 'unit', 'unit_price', 'account',
                'invoice_type', 'party', 'create_date', 'create_uid'],
            ((l['id'], l['invoice'], l['company'], l['currency'], 'line',
                    n % LINES_PER_INVOICE, l['product'], l['quantity'],
                    l['unit'], l['unit_price'], ids['revenue'], 'out',
                    l['customer'], now, 0)
                for n, l in enumerate(lines)))
        _copy(cur, 'account_invoice_line-account_tax', [
                'line', 'tax', 'create_date', 'create_uid'],
            ((l['id'], ids['tax'], now, 0) for l in lines))
        columns = None
        rows = []
        for sale_id, line in zip(sale_ids, lines):
            values = sale_row(currency, line, line['date'])
            if columns is None:
                columns = sorted(values)
            rows.append([sale_id] + [values[c] for c in columns]
                + [now, 0])
        _copy(cur, 'marketplace_sale',
            ['id'] + columns + ['create_date', 'create_uid'], rows)
        _copy(cur, 'commission', [
                'id', 'origin', 'date', 'agent', 'product', 'base_amount',
                'amount', 'create_date', 'create_uid'],
            ((cid, f"account.invoice.line,{l['id']}", l['date'], l['agent'],
                    ids['commission_product'],
                    l['amount'], r[1 + columns.index('commission_amount')],
                    now, 0)
                for cid, l, r in zip(commission_ids, lines, rows)))
        generate_invoice_moves(
            cur, ids, lines, invoice_ids, totals, taxes, now)
        conn.commit()
        cur.execute('ANALYZE')


def generate_invoice_moves(cur, ids, lines, invoice_ids, totals, taxes,
        now):
    """Bulk-insert the accounting of the paid customer invoices, as posting
    and paying them makes it (see invoice_move_rows).  The payout's SQL then
    runs against move line, tax line and reconciliation tables of the size a
    real ledger has, not empty ones (PostgreSQL plans its foreign-key
    checks on a table's size)."""
    accounts = ledger_accounts(cur, ids)
    n = len(invoice_ids)

    new_ids = {name: iter(_next_ids(cur, table, count))
        for name, table, count in [
            ('move', 'account_move', 2 * n),
            ('line', 'account_move_line', len(lines) + 4 * n),
            ('tax_line', 'account_tax_line', len(lines) + n),
            ('reconciliation', 'account_move_reconciliation', n),
            ('invoice_tax', 'account_invoice_tax', n),
            ]}
    by_invoice = {}
    for line in lines:
        by_invoice.setdefault(line['invoice'], []).append(line)
    rows = {'moves': [], 'lines': [], 'tax_lines': [],
        'reconciliations': [], 'invoice_taxes': [], 'invoices': []}
    for invoice in invoice_ids:
        for name, values in invoice_move_rows(ids, accounts, invoice,
                by_invoice[invoice], totals[invoice], taxes[invoice],
                new_ids).items():
            rows[name].extend(values)
    _copy(cur, 'account_move', ['id', 'company', 'journal', 'period',
            'date', 'state', 'number', 'post_date', 'origin', 'create_date',
            'create_uid'], (r + (now, 0) for r in rows['moves']))
    _copy(cur, 'account_invoice_tax', ['id', 'invoice', 'tax', 'account',
            'base', 'amount', 'description', 'manual', 'create_date',
            'create_uid'], (r + (now, 0) for r in rows['invoice_taxes']))
    _copy(cur, 'account_move_reconciliation', ['id', 'company', 'number',
            'date', 'create_date', 'create_uid'],
        (r + (now, 0) for r in rows['reconciliations']))
    _copy(cur, 'account_move_line', ['id', 'move', 'account', 'debit',
            'credit', 'party', 'maturity_date', 'reconciliation', 'origin',
            'state', 'create_date', 'create_uid'],
        (r + ('valid', now, 0) for r in rows['lines']))
    _copy(cur, 'account_tax_line', ['id', 'move_line', 'tax', 'type',
            'amount', 'create_date', 'create_uid'],
        (r + (now, 0) for r in rows['tax_lines']))
    cur.execute("UPDATE account_invoice i SET move = m.move "
        "FROM (SELECT * FROM unnest(%s::int[], %s::int[]) "
        "AS t(invoice, move)) m WHERE i.id = m.invoice",
        tuple(map(list, zip(*rows['invoices']))))


def ledger_accounts(cur, ids):
    "The accounts, journal and periods invoice_move_rows needs"
    cur.execute("SELECT journal, debit_account FROM "
        "account_invoice_payment_method ORDER BY id LIMIT 1")
    cash_journal, cash = cur.fetchone()
    cur.execute("SELECT invoice_account, description FROM account_tax "
        "WHERE id = %s", (ids['tax'],))
    tax_account, tax_description = cur.fetchone()
    cur.execute("SELECT p.id, p.start_date, p.end_date "
        "FROM account_period p "
        "JOIN account_fiscalyear f ON f.id = p.fiscalyear "
        "WHERE p.type = 'standard' AND f.company = %s "
        "ORDER BY p.start_date", (ids['company'],))
    return {'cash_journal': cash_journal, 'cash': cash, 'tax': tax_account,
        'tax_description': tax_description, 'periods': cur.fetchall()}


def invoice_move_rows(ids, accounts, invoice, lines, untaxed, tax, new_ids):
    """Rows of a paid customer invoice's accounting: its posted move (a
    revenue credit per line with its tax base line, the tax credit of its
    invoice tax with its tax line, the receivable debit) and the cash
    payment move whose receivable credit is reconciled with it.  new_ids:
    iterators of ids per table.  Rows lack their state and create
    columns."""
    periods = accounts['periods']
    # the invoice's date, moved into the fiscal years if needed
    date = min(max(lines[0]['date'], periods[0][1]), periods[-1][2])
    period = next(p for p, start, end in periods if start <= date <= end)
    total = untaxed + tax
    move, payment = next(new_ids['move']), next(new_ids['move'])
    reconciliation = next(new_ids['reconciliation'])
    invoice_tax = next(new_ids['invoice_tax'])
    rows = {
        'moves': [
            (move, ids['company'], ids['journal'], period, date, 'posted',
                f'BM{move}', date, f'account.invoice,{invoice}'),
            (payment, ids['company'], accounts['cash_journal'], period,
                date, 'posted', f'BM{payment}', date, None)],
        'reconciliations': [
            (reconciliation, ids['company'], f'BR{reconciliation}', date)],
        'invoice_taxes': [
            (invoice_tax, invoice, ids['tax'], accounts['tax'], untaxed, tax,
                accounts['tax_description'], False)],
        'lines': [], 'tax_lines': [], 'invoices': [(invoice, move)],
        }
    for line in lines:
        line_id = next(new_ids['line'])
        rows['lines'].append((line_id, move, ids['revenue'], Decimal(0),
                line['amount'], None, None, None,
                f"account.invoice.line,{line['id']}"))
        rows['tax_lines'].append((next(new_ids['tax_line']), line_id,
                ids['tax'], 'base', line['amount']))
    line_id = next(new_ids['line'])
    rows['lines'].append((line_id, move, accounts['tax'], Decimal(0), tax,
            None, None, None, f'account.invoice.tax,{invoice_tax}'))
    rows['tax_lines'].append((next(new_ids['tax_line']), line_id, ids['tax'],
            'tax', tax))
    rows['lines'] += [
        (next(new_ids['line']), move, ids['receivable'], total, Decimal(0),
            ids['customer'], date, reconciliation, None),
        (next(new_ids['line']), payment, ids['receivable'], Decimal(0),
            total, ids['customer'], None, reconciliation, None),
        (next(new_ids['line']), payment, accounts['cash'], total,
            Decimal(0), None, None, None, None),
        ]
    return rows


def dashboard_name(lines):
    return f'{PREFIX}dash_l{lines}'


def ensure_dashboard(lines, sales=20000):
    """Return the template database of the dashboard benchmark: the
    10,000-sale volume plus <lines> posted move lines over the current
    fiscal year (COPY) and <sales> sales of 2 lines (quotations, confirmed,
    some invoiced)"""
    name = dashboard_name(lines)
    if db_exists(name):
        return name
    source = ensure_volume(10000, 100)
    print(f"building {name}...", file=sys.stderr)
    copy_db(source, name + '_tmp')
    started = time.perf_counter()
    generate_moves(name + '_tmp', lines, sales)
    with connect() as conn:
        conn.execute(f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
    print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return name


def generate_moves(dbname, lines, sales, per_move=10):
    """Bulk-insert posted moves of per_move lines: 6 revenue credits (the
    first 4 from customer invoice lines of vendor products), 2 expense
    debits, 1 tax credit and the receivable debit that balances them"""
    import random
    rnd = random.Random(11)
    now = dt.datetime.now()
    today = dt.date.today()
    with connect(dbname, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, currency FROM company_company")
        company, currency = cur.fetchone()
        cur.execute("SELECT id FROM account_journal WHERE type = 'revenue'")
        journal, = cur.fetchone()
        cur.execute(
            "SELECT p.id, p.start_date, p.end_date FROM account_period p "
            "JOIN account_fiscalyear f ON f.id = p.fiscalyear "
            "WHERE p.type = 'standard' AND f.start_date <= %s "
            "AND f.end_date >= %s ORDER BY p.start_date", (today, today))
        periods = cur.fetchall()

        def accounts(flag):
            cur.execute(
                "SELECT a.id FROM account_account a "
                "JOIN account_account_type t ON t.id = a.type "
                f"WHERE t.{flag} AND a.closed IS NOT TRUE "
                "AND a.company = %s ORDER BY a.id", (company,))
            return [r[0] for r in cur.fetchall()]
        revenue, expense = accounts('revenue'), accounts('expense')
        receivable = accounts('receivable')[0]
        cur.execute("SELECT id FROM account_account WHERE type IS NULL "
            "OR id NOT IN (SELECT a.id FROM account_account a JOIN "
            "account_account_type t ON t.id = a.type WHERE t.revenue OR "
            "t.expense) ORDER BY id LIMIT 1")
        other, = cur.fetchone()
        cur.execute("SELECT id FROM account_invoice_line ORDER BY id")
        invoice_lines = [r[0] for r in cur.fetchall()]

        moves = lines // per_move
        move_ids = _next_ids(cur, 'account_move', moves)
        move_rows, line_rows = [], []
        line_id = [0]
        cur.execute("SELECT setval('account_move_line_id_seq', "
            "nextval('account_move_line_id_seq') + %s)", (lines + 1,))
        first_line = cur.fetchone()[0] - lines - 1
        cents = Decimal('0.01')
        for m, move_id in enumerate(move_ids):
            period, start, end = periods[m % len(periods)]
            date = start + dt.timedelta(days=m % 28)
            move_rows.append((move_id, company, journal, period, date,
                    'posted', f'BM{move_id}', date, now, 0))
            credits = []
            for k in range(6):
                amount = Decimal(rnd.randint(100, 100000)) * cents
                origin = (f'account.invoice.line,'
                    f'{invoice_lines[(m * 4 + k) % len(invoice_lines)]}'
                    if k < 4 else None)
                credits.append((revenue[k % len(revenue)], Decimal(0),
                        amount, origin))
            debits = []
            for k in range(2):
                amount = Decimal(rnd.randint(100, 20000)) * cents
                debits.append((expense[k % len(expense)], amount,
                        Decimal(0), None))
            tax = (sum(c[2] for c in credits) * Decimal('0.2')).quantize(
                cents)
            credits.append((other, Decimal(0), tax, None))
            balance = (sum(c[2] for c in credits)
                - sum(d[1] for d in debits))
            debits.append((receivable, balance, Decimal(0), None))
            for account, debit, credit, origin in credits + debits:
                line_id[0] += 1
                line_rows.append((first_line + line_id[0], move_id, account,
                        debit, credit, origin, 'valid', now, 0))
        _copy(cur, 'account_move', ['id', 'company', 'journal', 'period',
                'date', 'state', 'number', 'post_date', 'create_date',
                'create_uid'], move_rows)
        _copy(cur, 'account_move_line', ['id', 'move', 'account', 'debit',
                'credit', 'origin', 'state', 'create_date', 'create_uid'],
            line_rows)

        # sales: 10 % quotations, the others confirmed or done
        cur.execute("SELECT id FROM party_party WHERE name = 'Customer'")
        customer, = cur.fetchone()
        cur.execute("SELECT id, template FROM product_product ORDER BY id")
        products = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id FROM product_uom WHERE name = 'Unit'")
        unit, = cur.fetchone()
        sale_ids = _next_ids(cur, 'sale_sale', sales)
        sale_line_ids = _next_ids(cur, 'sale_line', 2 * sales)
        sale_rows, sale_line_rows = [], []
        for n, sale_id in enumerate(sale_ids):
            state = ('quotation' if n % 10 == 0
                else 'done' if n % 3 else 'processing')
            date = today - dt.timedelta(days=n % 300)
            amount = Decimal(0)
            for k in range(2):
                price = Decimal(10 + (n + k) % 10)
                amount += price * (1 + k)
                sale_line_rows.append((sale_line_ids[2 * n + k], sale_id,
                        'line', k, products[(n + k) % len(products)],
                        float(1 + k), unit, price, now, 0))
            sale_rows.append((sale_id, company, currency, 'order', 'none',
                    customer, 'order', 'none', state, f'S{sale_id}', date,
                    date if state != 'quotation' else None,
                    amount if state != 'quotation' else None, now, 0))
        _copy(cur, 'sale_sale', ['id', 'company', 'currency',
                'invoice_method', 'invoice_state', 'party', 'shipment_method',
                'shipment_state', 'state', 'number', 'quotation_date',
                'sale_date', 'untaxed_amount_cache', 'create_date',
                'create_uid'], sale_rows)
        _copy(cur, 'sale_line', ['id', 'sale', 'type', 'sequence', 'product',
                'quantity', 'unit', 'unit_price', 'create_date',
                'create_uid'], sale_line_rows)
        # the customer invoice lines come from the most recent sales' lines;
        # one invoice in ten is still unpaid
        cur.execute(
            "UPDATE account_invoice_line l SET origin = 'sale.line,' || s.id "
            "FROM (SELECT id, row_number() OVER (ORDER BY id DESC) AS n "
            "FROM sale_line) s, (SELECT id, row_number() OVER "
            "(ORDER BY id) AS n FROM account_invoice_line "
            "WHERE invoice_type = 'out') i "
            "WHERE l.id = i.id AND s.n = i.n")
        cur.execute("UPDATE account_invoice SET state = 'posted' "
            "WHERE type = 'out' AND id % 10 = 0")
        conn.commit()
        cur.execute('ANALYZE')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=[
            'base', 'volume', 'dashboard', 'check', 'update', 'drop',
            'drop-runs', '_base', '_volume'])
    parser.add_argument('--lines', type=int, default=1000000)
    parser.add_argument('--sales', type=int, default=10000)
    parser.add_argument('--vendors', type=int, default=100)
    args = parser.parse_args()
    if args.action == 'base':
        drop_db(BASE)
        ensure_base()
    elif args.action == 'volume':
        print(ensure_volume(args.sales, args.vendors))
    elif args.action == 'check':
        import check_sample
        check_sample.main()
    elif args.action == 'dashboard':
        print(ensure_dashboard(args.lines))
    elif args.action == 'update':
        update_modules()
    elif args.action in {'drop', 'drop-runs'}:
        # drop-runs: only the copies a stopped run left, not the templates
        runs = args.action == 'drop-runs'
        for name in list_dbs():
            if runs and not name.startswith(PREFIX + 'run_'):
                continue
            drop_db(name)
            print("dropped", name)
    elif args.action == '_base':
        build_base()
    elif args.action == '_volume':
        fill_volume(os.environ['DB_NAME'], args.sales, args.vendors)


if __name__ == '__main__':
    main()
