#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""Benchmark: throughput of the payout e-mails through ir.queue with 1 and
2 ``trytond-worker`` processes against one PostgreSQL (issue #11,
target 6).

Once, a template database (``bench_marketplace_q_s<sales>_v<vendors>``)
is made from a volume database by running the payout (posted self-billing
invoices) and emptying ``ir_queue``.  Then, for each case, on a fresh copy:
the e-mails of --invoices invoices are queued exactly as the payout does
(``Invoice.marketplace_queue_payout_emails``, queue ``marketplace_payout``)
(the module queues one task per invoice, ``queue_batch=1``); a
``trytond-worker -n <workers> --name marketplace_payout`` runs them (the
Autofacturation report rendered to PDF by LibreOffice, sent to a local
aiosmtpd sink).  Throughput = e-mails / (last task finished − first task
dequeued), from the ir_queue timestamps, so worker start-up is not counted.

    .venv/bin/python bench/payout_queue.py [--invoices 40]
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datagen  # noqa: E402

QUEUE = 'marketplace_payout'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def ensure_template(sales, vendors):
    name = f'{datagen.PREFIX}q_s{sales}_v{vendors}'
    if datagen.db_exists(name):
        return name
    source = datagen.ensure_volume(sales, vendors)
    datagen.copy_db(source, name + '_tmp')
    out = datagen.run_python(
        [os.path.abspath(__file__), '--prepare', name + '_tmp'], check=False)
    if out.returncode:
        datagen.drop_db(name + '_tmp')
        sys.exit(out.stdout + out.stderr[-5000:])
    with datagen.connect() as conn:
        conn.execute(f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
    return name


def prepare(dbname):
    "Bill every vendor (tasks stored, not run) then empty the queue"
    import datetime as dt

    from trytond.config import config
    config.set('queue', 'worker', 'True')
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(dbname)
    pool.init()
    with Transaction().start(dbname, 0):
        company = pool.get('company.company').search([])[0].id
    with Transaction().start(dbname, 0, context={'company': company}) as tr:
        Sale = pool.get('marketplace.sale')
        today = dt.date.today()
        Sale.payout(today - dt.timedelta(days=40), today)
        tr.connection.cursor().execute('DELETE FROM ir_queue')
        tr.commit()


def enqueue(dbname, invoices):
    "Queue the e-mails of the first invoices as the payout does"
    from trytond.config import config
    config.set('queue', 'worker', 'True')
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(dbname)
    pool.init()
    with Transaction().start(dbname, 0) as transaction:
        company = pool.get('company.company').search([])[0].id
    context = {'company': company}
    with Transaction().start(dbname, 0, context=context) as transaction:
        Invoice = pool.get('account.invoice')
        records = Invoice.search([
                ('type', '=', 'in'),
                ('marketplace_self_billing', '=', True),
                ], order=[('id', 'ASC')], limit=invoices)
        Invoice.marketplace_queue_payout_emails(records)
        transaction.commit()


def run_case(template, workers, invoices, optimize, smtp_port,
        isolated=True):
    dbname = datagen.run_name(template)
    datagen.copy_db(template, dbname)
    conf = tempfile.NamedTemporaryFile(
        'w', suffix='.conf', prefix='bench_queue_', delete=False)
    conf.write(f"[database]\nuri = {datagen.URI}\n"
        f"[email]\nuri = smtp://127.0.0.1:{smtp_port}\n"
        "from = marketplace@example.com\n"
        "[queue]\nworker = True\n")
    if isolated:
        # one LibreOffice profile per conversion: two soffice sharing the
        # default profile fail, and Tryton's retry then runs an empty
        # command (its args are a consumed map), losing the e-mail
        conf.write("[report]\nconvert_command = soffice --headless "
            "--nolockcheck --nodefault --norestore "
            "-env:UserInstallation=file://%(directory)s/lo-profile "
            "--convert-to \"%(output_extension)s\" "
            "--outdir \"%(directory)s\" \"%(input_path)s\"\n")
    conf.close()
    worker = None
    try:
        out = datagen.run_python([os.path.abspath(__file__), '--enqueue',
                dbname, '--invoices', str(invoices)],
            check=False)
        if out.returncode:
            sys.exit(out.stdout + out.stderr[-5000:])
        with datagen.connect(dbname) as conn:
            tasks = conn.execute(
                "SELECT count(*) FROM ir_queue WHERE name = %s",
                (QUEUE,)).fetchone()[0]
        env = dict(os.environ, TRYTOND_DATABASE_URI=datagen.URI)
        env.pop('DB_CACHE', None)
        bindir = os.path.dirname(datagen.PYTHON)
        cmd = [datagen.PYTHON] + (['-O'] if optimize else []) + [
            os.path.join(bindir, 'trytond-worker'), '-c', conf.name,
            '-d', dbname, '-n', str(workers), '--name', QUEUE]
        log = open(f'/tmp/bench_queue_worker_{os.getpid()}.log', 'w')
        worker = subprocess.Popen(cmd, env=env, stdout=log, stderr=log,
            start_new_session=True)
        deadline = time.time() + 1800
        while time.time() < deadline:
            time.sleep(1)
            with datagen.connect(dbname) as conn:
                waiting, running = conn.execute(
                    "SELECT count(*) FILTER (WHERE dequeued_at IS NULL), "
                    "count(*) FILTER (WHERE dequeued_at IS NOT NULL "
                    "AND finished_at IS NULL) FROM ir_queue "
                    "WHERE name = %s", (QUEUE,)).fetchone()
                idle, = conn.execute(
                    "SELECT now() - max(greatest(dequeued_at, finished_at))"
                    " > interval '90 seconds' FROM ir_queue "
                    "WHERE name = %s", (QUEUE,)).fetchone()
            # a failed task stays dequeued and unfinished for ever
            if not waiting and (not running or idle):
                break
            if worker.poll() is not None:
                sys.exit(f"worker stopped, see {log.name}")
        with datagen.connect(dbname) as conn:
            first, last, failed = conn.execute(
                "SELECT min(dequeued_at), max(finished_at), "
                "count(*) FILTER (WHERE finished_at IS NULL) FROM ir_queue "
                "WHERE name = %s", (QUEUE,)).fetchone()
            emails, = conn.execute(
                "SELECT count(*) FROM ir_email").fetchone()
        if last is None:
            sys.exit(f"no task finished, see {log.name}")
        return {'tasks': tasks, 'emails': emails, 'failed': failed,
            'seconds': (last - first).total_seconds()}
    finally:
        if worker and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        os.unlink(conf.name)
        datagen.drop_db(dbname)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sales', type=int, default=10000)
    parser.add_argument('--vendors', type=int, default=100)
    parser.add_argument('--invoices', type=int, default=40)
    parser.add_argument('--workers', default='1,2')
    parser.add_argument('--shared-profile', action='store_true',
        help="let the conversions share LibreOffice's default profile "
        "(Tryton's default command): concurrent ones fail")
    parser.add_argument('--interpreters', default='default,O')
    parser.add_argument('--prepare', help=argparse.SUPPRESS)
    parser.add_argument('--enqueue', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (args.prepare or args.enqueue) and not shutil.which('soffice'):
        # the tasks render the PDF: without LibreOffice the worker's
        # conversion fails and no task would finish
        sys.exit("payout_queue.py: LibreOffice (soffice) is not installed; "
            "install it first: apt-get install libreoffice-writer-nogui")
    if args.prepare:
        prepare(args.prepare)
        return
    if args.enqueue:
        enqueue(args.enqueue, args.invoices)
        return

    template = ensure_template(args.sales, args.vendors)
    smtp_port = free_port()
    smtp = subprocess.Popen([datagen.PYTHON, '-m', 'aiosmtpd', '-n', '-l',
            f'127.0.0.1:{smtp_port}', '-c', 'aiosmtpd.handlers.Sink'],
        start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    time.sleep(1)
    results = []
    try:
        for interp in args.interpreters.split(','):
            for workers in map(int, args.workers.split(',')):
                r = run_case(template, workers, args.invoices,
                    interp == 'O', smtp_port, not args.shared_profile)
                r.update(interp=interp, workers=workers)
                results.append(r)
                print(f"  {r}", file=sys.stderr, flush=True)
    finally:
        os.killpg(smtp.pid, signal.SIGTERM)
    print(f"Payout e-mails through ir.queue ({args.invoices} self-billing "
        "invoices, PDF by LibreOffice, local SMTP sink, PostgreSQL)")
    print(f"{'python':>7} {'tasks':>6} {'workers':>7} "
        f"{'e-mails':>7} {'failed':>6} {'seconds':>8} {'e-mails/s':>9} "
        f"{'speed-up':>8}")
    base = {}
    for r in results:
        rate = r['emails'] / r['seconds'] if r['seconds'] else 0
        key = r['interp']
        base.setdefault(key, rate)
        print(f"{'-O' if r['interp'] == 'O' else 'plain':>7} "
            f"{r['tasks']:6d} {r['workers']:7d} "
            f"{r['emails']:7d} {r['failed']:6d} {r['seconds']:8.1f} "
            f"{rate:9.2f} "
            f"{rate / base[key] if base[key] else 0:8.2f}")


if __name__ == '__main__':
    main()
