#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""Server time of the vendor portal pages for a vendor with many sales.

The volume database of ``datagen.py`` with one vendor (all its sales are
that vendor's) is copied once into ``bench_marketplace_portal_s<sales>``,
where ``marketplace_vendor_portal`` is activated and the vendor gets a web
user.  The pages are then requested in-process through trytond's WSGI
application (werkzeug's test client: no network, no browser), each
``--repeat`` times after a warm-up; the figures are the server's time per
request (median, 90th percentile, max) in milliseconds.  Usage::

    .venv/bin/python bench/portal.py --sales 100000
    .venv/bin/python bench/portal.py --sales 10000 --repeat 10

The CSV of every sale is not a page: it is timed apart (``sales.csv``).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import datagen  # noqa: E402

EMAIL = 'bench-vendor@example.com'
PASSWORD = 'Bench-Portal-8'


def prepare(sales):
    "Return the name of the portal database of that volume"
    template = datagen.ensure_volume(sales, 1)
    name = f'{datagen.PREFIX}portal_s{sales}'
    if datagen.db_exists(name):
        return name
    print(f"building {name}...", file=sys.stderr)
    datagen.copy_db(template, name + '_tmp')
    admin = os.path.join(os.path.dirname(sys.executable), 'trytond-admin')
    env = dict(os.environ, TRYTOND_DATABASE_URI=datagen.URI)
    env.pop('DB_CACHE', None)
    subprocess.run([admin, '-d', name + '_tmp', '-u',
            'marketplace_vendor_portal', '--activate-dependencies'],
        env=env, check=True, capture_output=True)
    out = datagen.run_python([os.path.abspath(__file__), '_web_user'],
        dbname=name + '_tmp', check=False)
    if out.returncode:
        sys.exit(out.stdout + out.stderr)
    with datagen.connect() as conn:
        conn.execute(f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
    return name


def _config():
    from trytond import config
    config.set('database', 'uri', datagen.URI)
    config.set('session', 'max_attempt', '1000')


def create_web_user(dbname):
    "Child process: a web user for the vendor with the most sales"
    _config()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.test = False
    pool = Pool(dbname)
    pool.init()
    with Transaction().start(dbname, 0) as transaction:
        Sale = pool.get('marketplace.sale')
        WebUser = pool.get('web.user')
        sale = Sale.__table__()
        cursor = transaction.connection.cursor()
        from sql.aggregate import Count
        cursor.execute(*sale.select(sale.vendor, Count(sale.id),
                group_by=[sale.vendor],
                order_by=[Count(sale.id).desc], limit=1))
        vendor_id, count = cursor.fetchone()
        user = WebUser(email=EMAIL, party=vendor_id)
        user.password = PASSWORD
        user.save()
        transaction.commit()
        print(f"web user {EMAIL} for vendor {vendor_id} ({count} sales)",
            file=sys.stderr)


def measure(dbname, repeat):
    "Child process: time each page"
    _config()
    from werkzeug.test import Client

    import trytond.modules.marketplace_vendor_portal  # noqa: F401 routes
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.wsgi import app
    Pool.test = False
    Pool(dbname).init()
    with Transaction().start(dbname, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute('SELECT MIN(date), MAX(date), COUNT(*) '
            'FROM marketplace_sale')
        first, last, count = cursor.fetchone()
    base = f'/{dbname}/marketplace/vendor/'
    client = Client(app)
    client.get(base + 'login')
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(base + 'login')
        times.append((time.perf_counter() - start) * 1000)
    login_times = sorted(times)
    page = response.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(base + 'login', data={
            'email': EMAIL, 'password': PASSWORD, 'csrf_token': token})
    assert response.status_code == 303, response.status_code
    month = (last.replace(day=1), last)
    pages = [
        ('sales, page 1', 'sales'),
        ('sales to invoice', 'sales?state=to_invoice'),
        ('sales of the last month',
            f'sales?from={month[0]}&to={month[1]}'),
        ('sales, page 1000', 'sales?page=1000'),
        ('invoices', 'invoices'),
        ('products', 'products'),
        ]
    print(f"{count} sales of one vendor, {first} to {last}; "
        f"{repeat} requests per page after a warm-up")
    print(f"{'page':32} {'median':>8} {'p90':>8} {'max':>8}  (ms)")

    def row(name, times):
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(f"{name:32} {statistics.median(times):8.1f} {p90:8.1f} "
            f"{times[-1]:8.1f}")
    row('login form', login_times)
    for name, path in pages:
        client.get(base + path)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(base + path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        row(name, sorted(times))
    start = time.perf_counter()
    response = client.get(base + 'sales.csv')
    elapsed = (time.perf_counter() - start) * 1000
    rows = response.get_data().count(b'\n') - 1
    print(f"{'sales.csv (every sale, once)':32} {elapsed:8.1f} "
        f"ms for {rows} rows")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', nargs='?', default='run',
        choices=['run', '_web_user', '_measure'])
    parser.add_argument('--sales', type=int, default=100000)
    parser.add_argument('--repeat', type=int, default=20)
    args = parser.parse_args()
    if args.action == '_web_user':
        create_web_user(os.environ['DB_NAME'])
    elif args.action == '_measure':
        measure(os.environ['DB_NAME'], args.repeat)
    else:
        dbname = prepare(args.sales)
        # what autovacuum does after a bulk load: statistics and the
        # visibility map of the index-only scans
        with datagen.connect(dbname) as conn:
            conn.execute('VACUUM (ANALYZE) marketplace_sale')
        out = datagen.run_python([os.path.abspath(__file__), '_measure',
                '--repeat', str(args.repeat)], dbname=dbname, check=False)
        print(out.stdout, end='')
        if out.returncode:
            sys.exit(out.stderr)


if __name__ == '__main__':
    main()
