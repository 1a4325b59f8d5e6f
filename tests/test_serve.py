# This file is part of the marketplace modules for Tryton.
"""``setup/serve``: production serving on PostgreSQL, proved end to end.

On a fresh database name and a free port: ``setup/serve start`` creates and
initialises the database, gunicorn answers RPC with 2 worker processes, a
sale confirmed through RPC is processed by ``trytond-worker`` (with
``[queue] worker`` the request only queues it), ``setup/serve update``
activates a module added to the list and serves it after the restart, and
``setup/serve stop`` leaves no process behind.

The database starts with ``sale`` only (a short initialisation) and the update
adds ``marketplace_sales``.  It runs in the PostgreSQL pass of setup/test,
or in any run when only SQLite is asked for; it is skipped only when
PostgreSQL cannot be reached.
"""
import configparser
import os
import signal
import subprocess
import time
import urllib.request
import xmlrpc.client
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = os.environ.get('PG_HOST', '127.0.0.1')
PG_PORT = int(os.environ.get('PG_PORT', '5432'))
PG_USER = os.environ.get('PG_USER', 'postgres')
PASSWORD = 'serve-test-admin-8'
ON_POSTGRESQL = os.environ.get(
    'TRYTOND_DATABASE_URI', '').startswith('postgresql')


def postgresql_reachable():
    try:
        import psycopg
        psycopg.connect(
            f'postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres',
            connect_timeout=5).close()
        return True
    except Exception:
        return False


if not ON_POSTGRESQL and 'postgresql' in os.environ.get(
        'BACKENDS', '').split():
    pytestmark = pytest.mark.skip(
        reason="setup/serve is tested once, in the PostgreSQL pass")
elif not postgresql_reachable():
    pytestmark = pytest.mark.skip(
        reason=f"PostgreSQL is unreachable on {PG_HOST}:{PG_PORT} "
        f"(user {PG_USER}): setup/serve serves only PostgreSQL")


def pg_execute(query):
    import psycopg
    with psycopg.connect(
            f'postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres',
            autocommit=True) as connection:
        cursor = connection.execute(query)
        return cursor.fetchall() if cursor.description else None


def group_pids(pgid):
    "The processes of the process group (session) pgid"
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) == pgid:
                pids.append(int(entry))
        except ProcessLookupError:
            pass
    return pids


def children(pid):
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f'/proc/{entry}/stat').read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces
        if int(stat.rsplit(')', 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


@pytest.fixture(scope='module')
def served(tmp_path_factory, free_port):
    directory = tmp_path_factory.mktemp('serve')
    database = f'test_serve_{os.getpid()}'
    env = dict(os.environ,
        SERVE_DB=database, SERVE_DATA='empty', SERVE_MODULES='sale',
        SERVE_PORT=str(free_port()), SERVE_HOST='127.0.0.1',
        SERVE_WORKERS='2', SERVE_DIR=str(directory),
        SERVE_PASSWORD=PASSWORD, PG_HOST=PG_HOST, PG_PORT=str(PG_PORT),
        PG_USER=PG_USER)
    # the test run's own database settings are not those of setup/serve
    for name in ['TRYTOND_DATABASE_URI', 'TRYTOND_CONFIG', 'DB_NAME',
            'DB_CACHE', 'TRYTOND_DATABASE_NAMES']:
        env.pop(name, None)

    def serve(*args, **kwargs):
        return subprocess.run(
            [str(ROOT / 'setup' / 'serve'), *args], env=dict(env, **kwargs),
            capture_output=True, text=True, timeout=1800)

    info = {
        'database': database, 'directory': directory, 'serve': serve,
        'url': f"http://127.0.0.1:{env['SERVE_PORT']}",
        'rpc': (f"http://admin:{PASSWORD}@127.0.0.1:{env['SERVE_PORT']}/"
            f"{database}/rpc/"),
        }
    try:
        yield info
    finally:
        serve('stop')
        # a process left (test failure) must not keep the database open
        for name in ['web', 'worker', 'cron']:
            pidfile = directory / f'{name}.pid'
            if pidfile.exists():
                try:
                    os.killpg(int(pidfile.read_text()), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        pg_execute(f'DROP DATABASE IF EXISTS "{database}"')


def pids_of(info):
    return {name: int((info['directory'] / f'{name}.pid').read_text())
        for name in ['web', 'worker', 'cron']}


def test_start_rpc_queue_update_stop(served):
    from proteus import Model
    from proteus import config as pconfig
    from trytond.modules.company.tests.tools import create_company

    result = served['serve']('start')
    assert result.returncode == 0, result.stdout + result.stderr
    pids = pids_of(served)
    # gunicorn: a master and 2 worker processes, each a trytond
    assert len(children(pids['web'])) == 2, children(pids['web'])
    # a posting waits up to 4.2 s for a lock held by another posting
    # (20 attempts) before it answers 503, not 0.3 s (5, the default)
    written = configparser.ConfigParser()
    written.read(served['directory'] / 'trytond.conf')
    assert written['database']['retry'] == '20'
    # every process runs under python -O
    for pid in [pids['worker'], pids['cron'], *children(pids['web'])]:
        environ = Path(f'/proc/{pid}/environ').read_bytes().split(b'\0')
        assert b'PYTHONOPTIMIZE=1' in environ, pid
    # the web client is served as static files by the same server
    with urllib.request.urlopen(served['url'] + '/', timeout=30) as response:
        assert b'sao' in response.read().lower()

    # RPC through gunicorn: login and a search
    proxy = xmlrpc.client.ServerProxy(served['rpc'], allow_none=True)
    context = proxy.model.res.user.get_preferences(True, {})
    assert context['language'] == 'en'
    modules = proxy.model.ir.module.search_read(
        [('name', 'in', ['sale', 'marketplace_sales'])], 0, None, None,
        ['name', 'state'], context)
    assert {m['name']: m['state'] for m in modules} == {
        'sale': 'activated', 'marketplace_sales': 'not activated'}

    # A sale confirmed through RPC is processed by trytond-worker: the
    # request only queues Sale.process ([queue] worker = True)
    config = pconfig.set_xmlrpc(served['rpc'])
    create_company(config=config)
    Party = Model.get('party.party')
    Uom = Model.get('product.uom')
    Template = Model.get('product.template')
    Sale = Model.get('sale.sale')
    customer = Party(name="Customer")
    customer.save()
    unit, = Uom.find([('name', '=', 'Unit')])
    template = Template(name="Service", default_uom=unit, type='service',
        salable=True, list_price=Decimal('10'))
    template.save()
    product, = template.products
    sale = Sale(party=customer, invoice_method='manual',
        shipment_method='manual')
    line = sale.lines.new()
    line.product = product
    line.quantity = 2
    sale.click('quote')
    sale.click('confirm')
    # the request queued Sale.process; the worker runs it
    import psycopg
    queued = []
    deadline = time.monotonic() + 120
    with psycopg.connect(
            f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/"
            f"{served['database']}", autocommit=True) as connection:
        while time.monotonic() < deadline:
            queued = [done for data, done in connection.execute(
                    "SELECT CAST(data AS TEXT), finished_at IS NOT NULL "
                    "FROM ir_queue").fetchall()
                if '"sale.sale"' in data and '"process"' in data]
            if queued and all(queued):
                break
            time.sleep(0.5)
    # one task, queued by the request and finished by the worker
    assert queued == [True], (
        queued, (served['directory'] / 'worker.log').read_text())
    sale.reload()
    assert sale.state == 'processing'

    # update: a module added to the list is activated, and served after
    # the restart
    result = served['serve']('update', SERVE_MODULES='sale marketplace_sales')
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Modules updated' in result.stderr
    new_pids = pids_of(served)
    assert set(new_pids.values()).isdisjoint(pids.values())
    proxy = xmlrpc.client.ServerProxy(served['rpc'], allow_none=True)
    context = proxy.model.res.user.get_preferences(True, {})
    modules = proxy.model.ir.module.search_read(
        [('name', '=', 'marketplace_sales')], 0, None, None,
        ['state'], context)
    assert [m['state'] for m in modules] == ['activated']
    assert proxy.model.marketplace.sale.search(
        [], 0, None, None, context) == []

    # stop: no process left, of any of the three process groups
    groups = {name: group_pids(pid) for name, pid in new_pids.items()}
    assert all(groups.values()), groups
    result = served['serve']('stop')
    assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(0.5)
    left = {name: group_pids(pid) for name, pid in new_pids.items()}
    assert left == {'web': [], 'worker': [], 'cron': []}, left
    assert not any(
        (served['directory'] / f'{n}.pid').exists()
        for n in ['web', 'worker', 'cron'])
    status = served['serve']('status')
    assert status.returncode == 1
    assert status.stdout.split('\n')[:3] == [
        'web: stopped', 'worker: stopped', 'cron: stopped']
