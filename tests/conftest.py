# This file is part of the marketplace modules for Tryton.
"""Shared helpers of the reliability tests (issue #8).

- ``db_snapshot()``: row counts, last create/write dates of every table,
  a content digest of the tables that hold money or numbering, and the money
  totals; two snapshots are equal only if nothing was written in between.
- ``unchanged``: a context manager asserting that what runs inside it leaves
  the database as it was (used around every bad input);
  ``unchanged.refused(error, message, call, *args)`` asserts that the call
  raises error with exactly that message and leaves the database as it was.
- ``live_trytond``: start a real trytond on the test database (PostgreSQL, or
  a copy of the SQLite memory database in a file) for raw XML-RPC/JSON-RPC.

Dates: a test never fixes "today" when it is imported.  The server dates
what it creates (invoices, marketplace sales, payouts) with ``ir.date.today()``
at that moment, in the company's time zone, so a run that crosses midnight (or
a company whose time zone is not UTC) would compare against another day.
Tests take the date from the server when they need it:

- ``server_today()`` (also the ``server_today`` fixture) returns
  ``ir.date.today()``: through ``Pool()`` inside a ``Transaction``, otherwise
  through the connected proteus configuration (with the user's company
  context, as the server sees it).  Call it right before what it is compared
  with, not once at import.
- ``build_marketplace()`` stores the day the data was built as
  ``data['built_on']`` and ``data['last_month']`` (31 days before); its
  ``payout()`` bills from ``data['last_month']`` to the server's date of the
  call, so that every sale of the data falls in the period.
- ``fresh_database()`` (also a fixture): the context manager of every
  module-scoped fixture that builds a database
  (``with fresh_database(): yield build_data(...)``): it drops a database
  left behind by an earlier failure before it starts and always drops the
  database when the block ends, failed or not, so that one failure never
  makes every later fixture fail with ``database "test_..." already
  exists``.
"""
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
URI = os.environ.get('TRYTOND_DATABASE_URI', '')
ON_POSTGRESQL = URI.startswith('postgresql')

# Written by logging in or by opening a wizard, whatever the outcome
VOLATILE_TABLES = {
    'ir_session', 'ir_session_wizard', 'res_user_login_attempt',
    'ir_cache', 'res_user_device',
    # the audit log of button clicks: a click that opens a wizard is a
    # legitimate user action even when the wizard then refuses the input
    'ir_model_log',
    }
# Rows compared by content (numbering is not always written through the ORM)
DIGEST_TABLES = [
    'marketplace_sale', 'account_invoice', 'account_invoice_line',
    'account_move', 'account_move_line', 'ir_sequence_strict', 'ir_sequence',
    'party_party', 'product_template', 'marketplace_configuration',
    'account_payment', 'account_period',
    ]
MONEY_SUMS = {
    'marketplace_sale': [
        'net_amount', 'commission_amount', 'payout_amount', 'gross_amount'],
    'account_invoice_line': ['unit_price'],
    'account_move_line': ['debit', 'credit'],
    'account_payment': ['amount'],
    }

_dated_cache = {}


def server_today():
    """Return the date the server gives to what it creates now
    (``ir.date.today()``, in the company's time zone when the context has a
    company)"""
    from trytond.transaction import Transaction
    if Transaction().database:
        from trytond.pool import Pool
        return Pool().get('ir.date').today()
    from proteus import Model
    Date = Model.get('ir.date')
    return Date.today(Date._config.context)


@pytest.fixture(scope='session', name='server_today')
def server_today_fixture():
    return server_today


@contextlib.contextmanager
def fresh_database():
    """Drop the test database left by an earlier failure, run the block and
    drop the database whatever happens in it"""
    from trytond.tests.test_tryton import drop_db
    drop_db()
    try:
        yield
    finally:
        drop_db()


@pytest.fixture(scope='session', name='fresh_database')
def fresh_database_fixture():
    return fresh_database


def _tables(cursor, backend_name):
    """Return {table: has create/write dates} of the database as it is now
    (the module set differs from one test module to the next)"""
    if backend_name == 'sqlite':
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        dated = {}
        for name in [r[0] for r in cursor]:
            if name not in _dated_cache:
                cursor.execute('PRAGMA table_info("%s")' % name)
                columns = {r[1] for r in cursor}
                _dated_cache[name] = {'create_date', 'write_date'} <= columns
            dated[name] = _dated_cache[name]
    else:
        cursor.execute(
            "SELECT table_name, "
            "bool_or(column_name = 'write_date') "
            "FROM information_schema.columns "
            "WHERE table_schema = 'public' "
            "AND table_name IN (SELECT tablename FROM pg_tables "
            "WHERE schemaname = 'public') "
            "GROUP BY table_name")
        dated = dict(cursor)
    return {
        n: d for n, d in dated.items()
        if n not in VOLATILE_TABLES and not n.startswith('sqlite_')}


def _num(value):
    if value is None:
        return Decimal(0)
    return Decimal(str(value))


def db_snapshot(database_name=None):
    """Return the state of the test database: {table: (count, max create,
    max write)}, digests of DIGEST_TABLES and money totals"""
    from trytond import backend
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction

    with Transaction().start(
            database_name or DB_NAME, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        tables = _tables(cursor, backend.name)
        state = {}
        for table, dated in sorted(tables.items()):
            if dated:
                cursor.execute(
                    'SELECT COUNT(*), CAST(MAX(create_date) AS VARCHAR), '
                    'CAST(MAX(write_date) AS VARCHAR) FROM "%s"' % table)
            else:
                cursor.execute('SELECT COUNT(*), NULL, NULL FROM "%s"' % table)
            state[table] = tuple(cursor.fetchone())
        digests = {}
        for table in DIGEST_TABLES:
            if table not in tables:
                continue
            cursor.execute('SELECT * FROM "%s" ORDER BY id' % table)
            digest = hashlib.sha256()
            for row in cursor:
                digest.update(repr(tuple(
                            str(v) if isinstance(v, (Decimal, float)) else v
                            for v in row)).encode())
            digests[table] = digest.hexdigest()
        totals = {}
        for table, columns in MONEY_SUMS.items():
            if table not in tables:
                continue
            for column in columns:
                cursor.execute(
                    'SELECT SUM(CAST("%s" AS NUMERIC)) FROM "%s"'
                    % (column, table))
                totals['%s.%s' % (table, column)] = _num(
                    cursor.fetchone()[0])
    return {'rows': state, 'digests': digests, 'totals': totals}


def snapshot_diff(before, after):
    "A readable list of what changed between two snapshots"
    changes = []
    for table, value in before['rows'].items():
        if after['rows'].get(table) != value:
            changes.append('%s: %s -> %s' % (
                    table, value, after['rows'].get(table)))
    for table in after['rows'].keys() - before['rows'].keys():
        changes.append('%s: new table' % table)
    for key in ('digests', 'totals'):
        for name, value in before[key].items():
            if after[key].get(name) != value:
                changes.append('%s %s: %s -> %s' % (
                        key, name, value, after[key].get(name)))
    return changes


class Unchanged:
    "Count the checks made, for the report of the test run"
    checks = 0
    rows = 0

    @contextlib.contextmanager
    def __call__(self):
        before = db_snapshot()
        yield before
        after = db_snapshot()
        changes = snapshot_diff(before, after)
        Unchanged.checks += 1
        Unchanged.rows += sum(v[0] for v in after['rows'].values())
        assert not changes, "the database changed:\n" + '\n'.join(changes)

    def refused(self, error, message, call, *args, **kwargs):
        """Call and assert it raises error with exactly message, leaving the
        database unchanged; return the exception"""
        with self():
            with pytest.raises(error) as info:
                call(*args, **kwargs)
        assert info.value.message == message, info.value.message
        return info.value


@pytest.fixture(scope='session')
def unchanged():
    return Unchanged()


def build_marketplace(module='marketplace_sales_payout'):
    """Activate module (marketplace_sales_payout by default: the cached
    database of the payout scenario), complete the configuration and return
    what tests need to
    sell and bill: sell(lines) posts and pays a customer invoice,
    payout(...) runs the wizard"""
    from proteus import Model, Wizard
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import (
        create_company, get_company)
    from trytond.modules.marketplace_sales.tests.tools import (
        create_accounting_category, create_payment_method, pay_invoice)
    from trytond.tests.tools import activate_modules

    config = activate_modules(module, create_company, create_chart)
    company = get_company()
    # The fiscal year runs from 6 months before to 5 months after this day:
    # a run that crosses midnight (or New Year) still posts into it.
    built_on = server_today()
    last_month = built_on - dt.timedelta(days=31)
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(today=built_on))
    fiscalyear.click('create_period')
    accounts = get_accounts()
    method = create_payment_method()

    category = create_accounting_category(accounts=accounts)
    Uom = Model.get('product.uom')
    unit, = Uom.find([('name', '=', 'Unit')])
    Template = Model.get('product.template')
    commission = Template(name="Commission", default_uom=unit)
    commission.type = 'service'
    commission.account_category = category
    commission.save()
    Journal = Model.get('account.journal')
    journal, = Journal.find([('type', '=', 'expense')])
    SequenceType = Model.get('ir.sequence.type')
    sequence_type, = SequenceType.find(
        [('name', '=', "Marketplace Self-Billing")])
    Sequence = Model.get('ir.sequence.strict')
    sequence = Sequence(name="Self-billing", prefix='AF-',
        sequence_type=sequence_type, company=company)
    sequence.save()
    Configuration = Model.get('marketplace.configuration')
    configuration = Configuration(1)
    configuration.commission_product, = commission.products
    configuration.payout_journal = journal
    configuration.self_billing_sequence = sequence
    configuration.save()

    Party = Model.get('party.party')
    customer = Party(name="Customer")
    customer.save()
    Invoice = Model.get('account.invoice')

    def invoice_of(lines, currency=None, post=True):
        invoice = Invoice(type='out', party=customer)
        if currency:
            invoice.currency = currency
        for product, quantity, price in lines:
            line = invoice.lines.new()
            line.product = product
            line.quantity = quantity
            line.unit_price = price
        if post:
            invoice.click('post')
        else:
            invoice.save()
        return invoice

    def sell(lines, currency=None):
        return pay_invoice(invoice_of(lines, currency), method)

    def payout(from_date=None, to_date=None, vendors=()):
        "Bill from last_month (default) to the server's today (default)"
        wizard = Wizard('marketplace.payout')
        wizard.form.from_date = from_date or last_month
        wizard.form.to_date = to_date or server_today()
        for vendor in vendors:
            wizard.form.vendors.append(Party(vendor.id))
        wizard.execute('preview')
        wizard.execute('bill')
        return wizard

    def admin_password(password):
        "Give the admin a password, for the tests that log in over RPC"
        User = Model.get('res.user')
        admin = User(config.user)
        admin.password = password
        admin.save()

    return {
        'config': config, 'company': company, 'accounts': accounts,
        'method': method, 'category': category, 'unit': unit,
        'configuration': configuration, 'journal': journal,
        'sequence': sequence, 'commission': commission.products[0],
        'customer': customer, 'fiscalyear': fiscalyear,
        'sell': sell, 'invoice_of': invoice_of, 'payout': payout,
        'admin_password': admin_password, 'built_on': built_on, 'last_month': last_month,
        'today': server_today,
        }


@pytest.fixture(scope='session')
def build_marketplace_db():
    return build_marketplace


def load_demo_data():
    "Return setup/demo_data.py as a module (the demo's builder)"
    import importlib.util
    spec = importlib.util.spec_from_file_location('demo_data',
        ROOT / 'setup' / 'demo_data.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def demo_data():
    "setup/demo_data.py, the demo's builder"
    return load_demo_data()


@pytest.fixture(scope='session')
def snapshot():
    return db_snapshot


def free_port():
    "Return a TCP port of 127.0.0.1 that nothing listens on"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='session', name='free_port')
def free_port_fixture():
    return free_port


CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
WEB_CLIENT = ROOT / 'var' / 'sao' / 'package' / 'index.html'
PLAYWRIGHT = ROOT / 'var' / 'e2e' / 'node_modules' / 'playwright-core'


def browser_missing(web_client=True):
    """Why a browser walk of the demo cannot run here, or None.  The walk
    installs the web client (web_client) and playwright-core with npm."""
    if os.environ.get('TRYTOND_DATABASE_URI', '').startswith('postgresql'):
        return ("the demo is a SQLite file (setup/demo): the browser walk "
            "runs on the SQLite pass of setup/test only")
    if not os.access(CHROMIUM, os.X_OK):
        return (f"no chromium at {CHROMIUM}: "
            "'apt-get install chromium' to run the browser test")
    if not shutil.which('node'):
        return "no node: 'apt-get install nodejs npm' to run the browser test"
    installed = PLAYWRIGHT.exists() and (
        WEB_CLIENT.exists() or not web_client)
    if not installed and not shutil.which('npm'):
        return ("the web client or playwright-core is not installed and "
            "there is no npm to install them: 'apt-get install npm'")
    return None


@pytest.fixture(scope='session')
def browser_walk(demo_data):
    """walk(runner, tmp_path, web_client=True): run setup/e2e/<runner> on a
    copy of the demo and return its JSON result; skipped, with the reason,
    when the machine has no browser"""
    def walk(runner, tmp_path, web_client=True):
        reason = browser_missing(web_client)
        if reason:
            pytest.skip(reason)
        db = demo_data.cached_copy(str(tmp_path / 'db'))
        report = tmp_path / f'{runner}.json'
        env = dict(os.environ)
        for name in ['TRYTOND_DATABASE_URI', 'DB_NAME', 'DB_CACHE']:
            env.pop(name, None)
        process = subprocess.run(
            [str(ROOT / 'setup' / 'e2e' / runner), '--db', db,
                '--shots', str(tmp_path / 'shots'), '--json', str(report)],
            env=env, capture_output=True, text=True, timeout=900)
        assert report.exists(), process.stderr[-3000:]
        result = json.loads(report.read_text())
        assert process.returncode == 0, (result.get('error'),
            result.get('server_log_tail'), process.stderr[-2000:])
        assert not result['page_errors']
        return result
    return walk


class LiveTrytond:
    "A trytond process serving a copy (SQLite) or the test database (PG)"

    def __init__(self, directory, session_config="max_attempt = 1000\n"):
        from trytond.tests.test_tryton import DB_NAME
        self.directory = directory
        self.port = free_port()
        if ON_POSTGRESQL:
            self.database = DB_NAME
            database_config = f"uri = {URI}\n"
        else:
            self.database = 'live'
            self._copy_memory_database(directory / 'live.sqlite')
            database_config = f"uri = sqlite://\npath = {directory}\n"
        config = directory / 'trytond.conf'
        config.write_text(
            f"[database]\n{database_config}\n"
            f"[web]\nlisten = 127.0.0.1:{self.port}\n\n"
            f"[session]\n{session_config}")
        trytond = shutil.which('trytond') or os.path.join(
            os.path.dirname(sys.executable), 'trytond')
        self.log_path = directory / 'trytond.log'
        self.log = open(self.log_path, 'w')
        self.process = subprocess.Popen(
            [trytond, '-c', str(config), '-d', self.database],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, self.log_tail()
            try:
                urllib.request.urlopen(
                    f'http://127.0.0.1:{self.port}/', timeout=5).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, "trytond did not start"
                time.sleep(0.3)

    @staticmethod
    def _copy_memory_database(path):
        import sqlite3

        from trytond.tests.test_tryton import DB_NAME
        from trytond.transaction import Transaction
        target = sqlite3.connect(str(path))
        with Transaction().start(DB_NAME, 0) as transaction:
            transaction.connection.backup(target)
        target.close()

    def log_tail(self):
        self.log.flush()
        return self.log_path.read_text()[-3000:]

    def url(self, login, password):
        return (f'http://{login}:{password}@127.0.0.1:{self.port}/'
            f'{self.database}/rpc/')

    def xmlrpc(self, login, password):
        return xmlrpc.client.ServerProxy(
            self.url(login, password), allow_none=True,
            use_builtin_types=True)

    def jsonrpc(self, login, password, method, *params):
        """Call method with params through JSON-RPC (plain urllib);
        return ('result', value) or ('error', message)"""
        import base64
        request = urllib.request.Request(
            f'http://127.0.0.1:{self.port}/{self.database}/rpc/',
            data=json.dumps({
                    'id': 1, 'method': method, 'params': list(params),
                    }).encode(),
            headers={
                'Content-Type': 'application/json',
                'Authorization': 'Basic ' + base64.b64encode(
                    f'{login}:{password}'.encode()).decode(),
                })
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.loads(response.read())
        if answer.get('error'):
            error = answer['error']
            # [exception name, [message, description, ...]]
            if isinstance(error, list) and len(error) > 1:
                detail = error[1]
                if isinstance(detail, list):
                    detail = detail[0]
                return 'error', detail
            return 'error', str(error)
        return 'result', answer['result']

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        self.log.close()


@pytest.fixture(scope='module')
def live_trytond(tmp_path_factory):
    "Call it (after the data is built) to start a trytond on the database"
    servers = []

    def start(**kwargs):
        server = LiveTrytond(tmp_path_factory.mktemp('live'), **kwargs)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()


def pytest_terminal_summary(terminalreporter):
    if Unchanged.checks:
        terminalreporter.write_line(
            f"reliability: {Unchanged.checks} database-unchanged checks, "
            f"{Unchanged.rows} rows compared")
