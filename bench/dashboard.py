#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""Benchmark: sales dashboard cells on 1,000,000 posted move lines (issue
#11, target 5: each cell answers in at most 0.3 s), PostgreSQL.

The database (bench/datagen.py ``dashboard``) is the 10,000-sale volume
plus <lines> posted move lines over the current fiscal year (revenue lines
pointing to customer invoice lines of vendor products, expense, tax and
receivable lines), 20,000 sales of 2 lines (quotations, confirmed, done)
and unpaid invoices.  Each cell is read as the client does
(``search_read`` of all its fields, company and fiscal year in the
context), each time in a new transaction; the median and the worst of
--repeat reads are printed, for ``python`` and ``python -O``, with the
first (cold) read of the process and the read that follows one more
posted move in the current period.  The amounts of the revenue cells are
stored once before (``sale.dashboard.amount|refresh``, as the cron of a
deployment does every 15 minutes): a read takes them and adds the lines of
the moves posted since (here inserted by SQL, as another process would).

    .venv/bin/python bench/dashboard.py [--lines 1000000] [--repeat 7]
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datagen  # noqa: E402

CELLS = [
    'sale.dashboard.totals',
    'sale.dashboard.latest_sale',
    'sale.dashboard.revenue_expense.month',
    'sale.dashboard.revenue_expense.category',
    ]
TARGET = 0.3


def post_move(dbname):
    "Post one more move of 3 lines (revenue, tax, receivable) today"
    import datetime as dt
    with datagen.connect(dbname) as conn:
        today = dt.date.today()
        company, journal = conn.execute(
            "SELECT company, journal FROM account_move LIMIT 1").fetchone()
        period, = conn.execute(
            "SELECT period FROM account_move m JOIN account_period p "
            "ON p.id = m.period WHERE p.start_date <= %s "
            "AND p.end_date >= %s LIMIT 1", (today, today)).fetchone()
        move, = conn.execute(
            "INSERT INTO account_move (company, journal, period, date, "
            "state, number, post_date, create_date, create_uid) "
            "VALUES (%s, %s, %s, %s, 'posted', 'BM-NEW', %s, now(), 0) "
            "RETURNING id", (company, journal, period, today, today)
            ).fetchone()
        accounts = dict(conn.execute(
                "SELECT CASE WHEN t.revenue THEN 'revenue' "
                "ELSE 'receivable' END, min(a.id) FROM account_account a "
                "JOIN account_account_type t ON t.id = a.type "
                "WHERE t.revenue OR t.receivable GROUP BY 1").fetchall())
        conn.execute(
            "INSERT INTO account_move_line (move, account, debit, credit, "
            "state, create_date, create_uid) VALUES "
            "(%s, %s, 0, 100, 'valid', now(), 0), "
            "(%s, %s, 100, 0, 'valid', now(), 0)",
            (move, accounts['revenue'], move, accounts['receivable']))


def refresh(dbname):
    """Store the amounts of the revenue cells as the cron does (restarting
    the transaction with the table lock it asks for)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError
    Pool.test = False
    pool = Pool(dbname)
    pool.init()
    Amount = pool.get('sale.dashboard.amount')
    extras = {}
    start = time.perf_counter()
    while True:
        try:
            with Transaction().start(dbname, 0, **extras):
                Amount.refresh()
            break
        except TransactionError as e:
            e.fix(extras)
    print(json.dumps({'refresh': time.perf_counter() - start}))


def ensure_module(template):
    "Update our modules in template if it predates the stored amounts"
    with datagen.connect(template) as conn:
        stored, = conn.execute(
            "SELECT to_regclass('sale_dashboard_amount_stamp')").fetchone()
    if stored is None:
        datagen.update_modules([template])


def measure(dbname, repeat, explain=False):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.test = False
    pool = Pool(dbname)
    pool.init()
    with Transaction().start(dbname, 0, readonly=True):
        User = pool.get('res.user')
        admin, = User.search([('login', '=', 'admin')])
        company = pool.get('company.company').search([])[0].id
    with Transaction().start(dbname, admin.id, readonly=True):
        context = User.get_preferences(context_only=True)
        context['company'] = company
    result = {}
    for name in CELLS:
        Model = pool.get(name)
        fields = [f for f in Model._fields if f not in {
                'create_uid', 'create_date', 'write_uid', 'write_date'}]
        def read():
            with Transaction().start(dbname, admin.id, readonly=True,
                    context=context):
                start = time.perf_counter()
                rows = Model.search_read([], fields_names=fields)
                return time.perf_counter() - start, len(rows)
        cold, count = read()  # also warms the pool's caches
        timings = [read()[0] for i in range(repeat)]
        # a new posted move in the current period, then read again
        post_move(dbname)
        after_move, _ = read()
        result[name] = {
            'median': statistics.median(timings), 'max': max(timings),
            'rows': count, 'cold': cold, 'after_move': after_move}
        if explain:
            with Transaction().start(dbname, admin.id, readonly=True,
                    context=context) as transaction:
                cursor = transaction.connection.cursor()
                query = Model.table_query()
                sql, params = tuple(query)
                cursor.execute('EXPLAIN ANALYZE ' + sql, params)
                print(name, file=sys.stderr)
                print('\n'.join(r[0] for r in cursor), file=sys.stderr)
    with Transaction().start(dbname, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute("SELECT count(*) FROM account_move_line l "
            "JOIN account_move m ON m.id = l.move WHERE m.state = 'posted'")
        result['posted_lines'] = cursor.fetchone()[0]
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--lines', type=int, default=1000000)
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument('--interpreters', default='default,O')
    parser.add_argument('--explain', action='store_true',
        help="print EXPLAIN ANALYZE of each cell's query")
    parser.add_argument('--measure', help=argparse.SUPPRESS)
    parser.add_argument('--refresh', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.repeat, args.explain)
        return
    if args.refresh:
        refresh(args.refresh)
        return
    template = datagen.ensure_dashboard(args.lines)
    ensure_module(template)
    dbname = datagen.run_name(template)
    datagen.copy_db(template, dbname)
    results = {}
    try:
        out = datagen.run_python(
            [os.path.abspath(__file__), '--refresh', dbname], check=False)
        if out.returncode:
            sys.exit(out.stdout + out.stderr[-5000:])
        refreshed = json.loads(out.stdout.strip().splitlines()[-1])
        for interp in args.interpreters.split(','):
            out = datagen.run_python(
                [os.path.abspath(__file__), '--measure', dbname,
                    '--repeat', str(args.repeat)]
                + (['--explain'] if args.explain else []),
                optimize=interp == 'O', check=False)
            if args.explain:
                sys.stderr.write(out.stderr)
            if out.returncode:
                sys.exit(out.stdout + out.stderr[-5000:])
            results[interp] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        datagen.drop_db(dbname)
    lines = next(iter(results.values()))['posted_lines']
    print(f"Dashboard cells on {lines:,} posted move lines (PostgreSQL), "
        f"median / worst of {args.repeat} reads, target <= {TARGET} s")
    print(f"amounts stored once before (refresh of all the periods, "
        f"python): {refreshed['refresh']:.2f} s")
    print("cold = first read of a fresh server process; after move = "
        "first read after one more move is posted in the current period")
    print(f"{'cell':40} {'python':>6} {'rows':>4} {'median s':>9} "
        f"{'worst s':>8} {'cold s':>7} {'after move':>10} {'target':>7}")
    for name in CELLS:
        for interp, r in results.items():
            cell = r[name]
            worst = max(cell['max'], cell['after_move'], cell['cold'])
            ok = 'met' if worst <= TARGET else 'NOT met'
            print(f"{name:40} {'-O' if interp == 'O' else 'plain':>6} "
                f"{cell['rows']:4d} {cell['median']:9.3f} "
                f"{cell['max']:8.3f} {cell['cold']:7.3f} "
                f"{cell['after_move']:10.3f} {ok:>7}")
    print("target: median, worst, cold and after-move read <= 0.3 s")


if __name__ == '__main__':
    main()
