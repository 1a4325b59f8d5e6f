#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""Many users at once against a running server, over loopback.

``--clients`` threads (default 50) work for ``--duration`` seconds (default
300) against a trytond served by ``setup/serve`` on PostgreSQL (or any
``--url``), each picking in turn what our users do:

- ``invoice``: a customer invoice of 1 to 3 vendor products created and
  posted as the shop's integration script does: one ``create`` of the
  invoice and its lines, then ``post`` (two requests; the values the
  form's on-changes give are computed once per customer and product);
  ``pay``: then paid (the paid hook turns its vendor lines into
  marketplace sales);
- ``receipt``: a posted invoice's cheque received (sales desk);
- ``list``: the latest 80 marketplace sales read; ``dashboard``: the
  dashboard totals and latest sales read;
- ``portal``: a vendor's sales page of the portal (HTTP, its session);

one more thread posts a deposit slip of the waiting cheques and runs a
payout of the month every ``--payout-every`` seconds (default 60).

Between two operations a client pauses as a person reads the answer: a
random time of mean ``--think`` seconds (default 5, exponential), and it
starts after such a pause so that the clients do not all start at once.
``--think 0`` makes every client send its next request as soon as it has
its answer: a stress test, where latency is mostly the wait in the
server's queue.

It prints the throughput and p50 / p95 / p99 latency of every operation,
the errors by kind (a clean UserError such as "nothing left to bill" is an
answer, anything else an error), then checks the database: every vendor
line of a paid customer invoice has exactly one active sale, every billed
sale is on exactly one vendor invoice line, and commission + payout = net
on every sale.  Usage (``setup/serve start`` first; SERVE_WORKERS sets the
server processes)::

    SERVE_WORKERS=4 setup/serve restart
    .venv/bin/python bench/load.py --clients 50 --duration 120

The client threads share one Python process: on a small machine the
clients take CPU from the server too, which the figures include.
"""
import argparse
import base64
import collections
import datetime as dt
import http.cookiejar
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request
import xmlrpc.client
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'setup'))

# weight of each operation in a client's choice
MIX = [
    ('pay', 3), ('receipt', 1), ('list', 3), ('dashboard', 2),
    ('portal', 2),
    ]
RETRY_503 = 5


class Clean(Exception):
    "A clean UserError/UserWarning: an answer the user understands"


def classify(exception):
    "Clean when the server answered with a UserError or UserWarning"
    text = str(exception)
    if isinstance(exception, xmlrpc.client.Fault):
        code = str(exception.faultCode)
        if 'UserError' in code or 'UserWarning' in code:
            return 'clean', code.split(':')[0]
        return 'error', code[:80]
    for kind in ('UserError', 'UserWarning', 'InvoicePaymentError',
            'IncomingPaymentError', 'PayoutError'):
        if kind in text:
            return 'clean', kind
    return 'error', f"{type(exception).__name__}: {text[:120]}"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = collections.defaultdict(list)
        self.clean = collections.Counter()
        self.errors = collections.Counter()
        self.busy = collections.Counter()

    def add(self, op, seconds):
        with self.lock:
            self.times[op].append(seconds)

    def fail(self, op, exception):
        kind, label = classify(exception)
        with self.lock:
            if kind == 'clean':
                self.clean[(op, label, str(exception)[:100])] += 1
            else:
                self.errors[(op, label)] += 1


def login(url):
    """Log in with the credentials of url, as the web client does, and
    return the address without them and the headers of the session: a
    password sent with every request is hashed again on every request."""
    parsed = urllib.parse.urlsplit(url)
    bare = parsed._replace(
        netloc=f"{parsed.hostname}:{parsed.port}").geturl()
    username = urllib.parse.unquote(parsed.username)
    server = xmlrpc.client.ServerProxy(bare, allow_none=True)
    user_id, session, _ = server.common.db.login(
        username, {'password': urllib.parse.unquote(parsed.password)})
    token = base64.b64encode(
        f"{username}:{user_id}:{session}".encode()).decode()
    return bare, [('Authorization', 'Session ' + token)]


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float('nan')
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + .5) - 1))
    return values[k]


class Setup:
    "What the clients need, read once through the server"

    def __init__(self, args):
        from proteus import Model
        from proteus import config as pconfig
        self.args = args
        pconfig.set_xmlrpc(args.url)
        Product = Model.get('product.product')
        Party = Model.get('party.party')
        Method = Model.get('account.invoice.payment.method')
        Journal = Model.get('account.payment.journal')
        products = Product.find([
                ('template.marketplace_vendor', '!=', None),
                ('salable', '=', True)])
        self.products = [(p.id, p.list_price or Decimal('10'))
            for p in products]
        assert self.products, "no vendor products: serve the demo data"
        vendor_ids = {p.template.marketplace_vendor.id for p in products}
        customers = Party.find([
                ('id', 'not in', list(vendor_ids)),
                ('marketplace_vendor', '=', False)], limit=20)
        self.customers = [c.id for c in customers if c.addresses]
        self.invoice_values, self.line_values = self.form_values(
            self.customers, [p for p, _ in self.products])
        self.method = Method.find([], limit=1)[0].id
        cheque = Journal.find([('receipt_method', '=', 'cheque')], limit=1)
        self.cheque_journal = cheque[0].id if cheque else None
        # the demo vendors' portal web users (setup/serve does not make
        # them): made once, with the portal password
        try:
            from demo_data import portal_email
            WebUser = Model.get('web.user')
            self.portal_emails = []
            for vendor in Party.find([('marketplace_vendor', '=', True)]):
                email = portal_email(vendor.name)
                if not WebUser.find([('email', '=', email)]):
                    user = WebUser(email=email, party=vendor,
                        email_valid=True)
                    user.password = args.portal_password
                    user.save()
                self.portal_emails.append(email)
        except Exception as exception:
            print("no portal:", exception, file=sys.stderr)
            self.portal_emails = []
        parsed = urllib.parse.urlsplit(args.url)
        self.base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}"
        self.database = parsed.path.strip('/').split('/')[0]
        self.auth = 'Basic ' + base64.b64encode(
            f"{parsed.username}:{parsed.password}".encode()).decode()


    @staticmethod
    def form_values(customers, products):
        """The values the invoice form fills in for each customer and each
        product (journal, accounts, address, taxes...), by its on-changes on
        an invoice that is never saved"""
        from proteus import Model
        Invoice = Model.get('account.invoice')
        Party = Model.get('party.party')
        Product = Model.get('product.product')

        def ids(record, names):
            values = {}
            for name in names:
                value = getattr(record, name)
                values[name] = value.id if value else None
            return values
        invoices = {}
        for customer in customers:
            invoice = Invoice(type='out', party=Party(customer))
            invoices[customer] = dict(ids(invoice,
                    ['party', 'journal', 'account', 'invoice_address',
                        'payment_term', 'currency']), type='out')
        lines = {}
        for product in products:
            line = invoice.lines.new()
            line.product = Product(product)
            lines[product] = dict(ids(line, ['product', 'unit', 'account']),
                taxes=[('add', [t.id for t in line.taxes])])
        return invoices, lines


class Client(threading.Thread):
    def __init__(self, n, setup, stats, stop):
        super().__init__(daemon=True)
        self.n, self.setup, self.stats, self.stop = n, setup, stats, stop
        self.random = random.Random(n)
        self.think = setup.args.think
        self.unpaid = []
        self.portal = None

    def timed(self, op, func, *args):
        # the user's wait: from the first try to the answer
        start = time.perf_counter()
        for attempt in range(RETRY_503):
            self.attempt = attempt
            try:
                result = func(*args)
            except xmlrpc.client.ProtocolError as exception:
                if exception.errcode == 503 and attempt < RETRY_503 - 1:
                    with self.stats.lock:
                        self.stats.busy[op] += 1
                    time.sleep(0.2 * (attempt + 1))
                    continue
                self.stats.fail(op, exception)
                return None
            except Exception as exception:
                self.stats.fail(op, exception)
                return None
            self.stats.add(op, time.perf_counter() - start)
            return result

    def run(self):
        from proteus import config as pconfig
        url, headers = login(self.setup.args.url)
        pconfig.set_xmlrpc(url, headers=headers)
        self.proxy = xmlrpc.client.ServerProxy(
            url, allow_none=True, use_builtin_types=True, headers=headers)
        self.context = self.proxy.model.res.user.get_preferences(True, {})
        ops, weights = zip(*MIX)
        while not self.pause():
            op = self.random.choices(ops, weights)[0]
            if op in {'pay', 'receipt'}:
                invoice = self.timed('invoice', self.new_invoice)
                if invoice is None:
                    continue
                if op == 'receipt' and self.setup.cheque_journal:
                    self.timed('receipt', self.receive, invoice)
                else:
                    self.timed('pay', self.pay, invoice)
            elif op == 'portal':
                if not self.setup.portal_emails:
                    continue
                if self.portal is None:
                    self.timed('portal_login', self.portal_login)
                    if self.portal is None:
                        continue
                self.timed('portal', self.portal_page)
            else:
                self.timed(op, getattr(self, op))

    def pause(self):
        "Wait as a person reads the answer; True when the run is over"
        if self.think > 0:
            return self.stop.wait(self.random.expovariate(1 / self.think))
        return self.stop.is_set()

    def new_invoice(self):
        from proteus import Model
        setup = self.setup
        values = dict(setup.invoice_values[
                self.random.choice(setup.customers)])
        values['lines'] = [('create', [
                    dict(setup.line_values[product_id],
                        quantity=self.random.randint(1, 4),
                        unit_price=price)
                    for product_id, price in self.random.sample(
                        setup.products, k=min(3, len(setup.products),
                            self.random.randint(1, 3)))])]
        invoices = self.proxy.model.account.invoice
        invoice_id, = invoices.create([values], self.context)
        invoices.post([invoice_id], self.context)
        return Model.get('account.invoice')(invoice_id)

    def pay(self, invoice):
        from proteus import Model, Wizard
        if self.attempt:
            invoice.reload()
            if invoice.state == 'paid':
                return
        pay = Wizard('account.invoice.pay', [invoice])
        pay.form.payment_method = Model.get(
            'account.invoice.payment.method')(self.setup.method)
        pay.execute('choice')
        if pay.state != 'end':
            pay.form.type = 'partial'
            pay.execute('pay')

    def receive(self, invoice):
        from proteus import Model
        wizard = invoice.click('receive_payment')
        wizard.form.journal = Model.get('account.payment.journal')(
            self.setup.cheque_journal)
        wizard.form.cheque_number = '%07d' % self.random.randint(1, 9999999)
        wizard.form.cheque_bank = "Banque de charge"
        wizard.execute('receive')

    def list(self):
        self.proxy.model.marketplace.sale.search_read(
            [], 0, 80, [('date', 'DESC'), ('id', 'DESC')],
            ['date', 'vendor.rec_name', 'product.rec_name', 'quantity',
                'net_amount', 'commission_amount', 'payout_amount',
                'state'], self.context)

    def dashboard(self):
        model = self.proxy.model.sale.dashboard
        model.totals.search_read([], 0, None, None, [], self.context)
        model.latest_sale.search_read([], 0, 20, None, [], self.context)

    def portal_login(self):
        setup = self.setup
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar))
        base = f"{setup.base}/{setup.database}/marketplace/vendor"
        page = opener.open(base + '/login', timeout=120).read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        email = setup.portal_emails[self.n % len(setup.portal_emails)]
        data = urllib.parse.urlencode({
                'csrf_token': csrf, 'email': email,
                'password': setup.args.portal_password}).encode()
        response = opener.open(base + '/login', data, timeout=120)
        if not response.geturl().endswith('/sales'):
            raise RuntimeError("portal login refused")
        self.portal = (opener, base)

    def portal_page(self):
        opener, base = self.portal
        path = self.random.choice(['/sales', '/invoices', '/products'])
        with opener.open(base + path, timeout=120) as response:
            response.read()


def office(setup, stats, stop, every):
    "The back office: a deposit slip of the waiting cheques and a payout"
    from proteus import Model, Wizard
    from proteus import config as pconfig
    url, headers = login(setup.args.url)
    pconfig.set_xmlrpc(url, headers=headers)
    Deposit = Model.get('sale.cheque.deposit')
    Payment = Model.get('account.payment')
    Date = Model.get('ir.date')

    def deposit():
        cheques = Payment.find([
                ('journal', '=', setup.cheque_journal),
                ('state', '=', 'succeeded'),
                ('cheque_deposit', '=', None)], limit=200)
        if not cheques:
            return
        slip = Deposit(date=Date.today(pconfig.get_config().context))
        for cheque in cheques:
            slip.payments.append(Payment(cheque.id))
        slip.save()
        slip.click('post')

    def payout():
        today = Date.today(pconfig.get_config().context)
        wizard = Wizard('marketplace.payout')
        wizard.form.from_date = today - dt.timedelta(days=62)
        wizard.form.to_date = today
        wizard.execute('preview')
        if wizard.form.billable:
            wizard.execute('bill')

    next_run = time.monotonic() + every / 2
    while not stop.wait(max(0, next_run - time.monotonic())):
        next_run += every
        for op, func in [('deposit', deposit), ('payout', payout)]:
            start = time.perf_counter()
            try:
                func()
            except Exception as exception:
                stats.fail(op, exception)
            else:
                stats.add(op, time.perf_counter() - start)


def check(args):
    "The ledger's invariants, read in SQL; return the list of failures"
    import psycopg
    failures = []
    with psycopg.connect(args.dsn) as conn:
        def rows(query):
            return conn.execute(query).fetchall()
        # every vendor line of a paid customer invoice: one active sale
        for line, count in rows("""
                SELECT l.id, COUNT(s.id) FROM account_invoice_line l
                JOIN account_invoice i ON i.id = l.invoice
                JOIN product_product p ON p.id = l.product
                JOIN product_template t ON t.id = p.template
                LEFT JOIN marketplace_sale s ON s.invoice_line = l.id
                    AND s.state != 'cancelled'
                WHERE i.type = 'out' AND i.state = 'paid'
                    AND t.marketplace_vendor IS NOT NULL
                    AND l.quantity > 0
                GROUP BY l.id HAVING COUNT(s.id) != 1"""):
            failures.append(f"paid vendor line {line}: {count} sales")
        # every billed sale on exactly one vendor invoice line
        for sale, line, invoice in rows("""
                SELECT s.id, s.vendor_invoice_line, s.vendor_invoice
                FROM marketplace_sale s
                LEFT JOIN account_invoice_line l
                    ON l.id = s.vendor_invoice_line
                WHERE s.state IN ('awaiting_payment', 'paid')
                    AND (l.id IS NULL OR l.invoice != s.vendor_invoice)"""):
            failures.append(f"billed sale {sale}: line {line} "
                f"invoice {invoice}")
        for sale, count in rows("""
                SELECT invoice_line, COUNT(*) FROM marketplace_sale
                WHERE state != 'cancelled'
                GROUP BY invoice_line HAVING COUNT(*) > 1"""):
            failures.append(f"customer line {sale}: {count} active sales")
        for sale, in rows("""
                SELECT id FROM marketplace_sale
                WHERE commission_amount + payout_amount != net_amount"""):
            failures.append(f"sale {sale}: commission + payout != net")
        (sales, billed), = rows("""
                SELECT COUNT(*), COUNT(vendor_invoice)
                FROM marketplace_sale WHERE state != 'cancelled'""")
    print(f"checked: {sales} active sales, {billed} billed")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clients', type=int, default=50)
    parser.add_argument('--duration', type=float, default=300,
        help="seconds of load")
    parser.add_argument('--payout-every', type=float, default=60)
    parser.add_argument('--think', type=float, default=5,
        help="mean seconds a client pauses between two operations "
        "(0: none, a stress test)")
    db = os.environ.get('SERVE_DB', 'marketplace')
    port = os.environ.get('SERVE_PORT', '8000')
    password = os.environ.get('SERVE_PASSWORD', 'marketplace-admin')
    parser.add_argument('--url',
        default=f"http://admin:{password}@127.0.0.1:{port}/{db}/rpc/",
        help="the server's XML-RPC address with the admin login")
    parser.add_argument('--portal-password',
        default=os.environ.get('DEMO_PASSWORD', 'marketplace-demo'),
        help="the password of the demo vendors' portal web users")
    parser.add_argument('--dsn', default=(
            f"postgresql://{os.environ.get('PG_USER', 'postgres')}@"
            f"{os.environ.get('PG_HOST', '127.0.0.1')}:"
            f"{os.environ.get('PG_PORT', '5432')}/{db}"),
        help="the database, for the final checks")
    parser.add_argument('--processes', default='?',
        help="the server's process count, printed with the figures")
    parser.add_argument('--timeout', type=float, default=300,
        help="seconds a client waits for an answer before it counts an "
        "error")
    args = parser.parse_args()
    socket.setdefaulttimeout(args.timeout)

    setup = Setup(args)
    stats = Stats()
    stop = threading.Event()
    clients = [Client(n, setup, stats, stop) for n in range(args.clients)]
    started = time.monotonic()
    for client in clients:
        client.start()
    back_office = threading.Thread(
        target=office, args=(setup, stats, stop, args.payout_every),
        daemon=True)
    back_office.start()
    while time.monotonic() < started + args.duration:
        time.sleep(min(30, started + args.duration - time.monotonic()))
        with stats.lock:
            done = sum(len(v) for v in stats.times.values())
            errors = sum(stats.errors.values())
        print(f"{time.monotonic() - started:5.0f} s: {done} answers, "
            f"{errors} errors", file=sys.stderr, flush=True)
    stop.set()
    # the answers under way are waited for, up to the client timeout
    deadline = time.monotonic() + args.timeout
    for thread in clients + [back_office]:
        thread.join(timeout=max(0, deadline - time.monotonic()))
    waiting = sum(t.is_alive() for t in clients + [back_office])
    elapsed = time.monotonic() - started
    if waiting:
        print(f"{waiting} clients still waiting for an answer",
            file=sys.stderr)

    print(f"clients {args.clients}, think {args.think:g} s, "
        f"server processes {args.processes}, {elapsed:.0f} s")
    print(f"{'operation':<14}{'count':>7}{'per s':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    total = 0
    for op in sorted(stats.times):
        values = stats.times[op]
        total += len(values)
        print(f"{op:<14}{len(values):>7}{len(values) / elapsed:>8.1f}"
            + ''.join(f"{percentile(values, p) * 1000:>9.0f}"
                for p in (50, 95, 99))
            + f"{max(values) * 1000:>9.0f}")
    print(f"{'all':<14}{total:>7}{total / elapsed:>8.1f}")
    for (op, label, text), count in sorted(stats.clean.items()):
        print(f"clean answer  {op}: {count} x {label} {text!r}")
    for op, count in sorted(stats.busy.items()):
        print(f"busy (503, retried) {op}: {count}")
    for (op, label), count in sorted(stats.errors.items()):
        print(f"ERROR {op}: {count} x {label}")
    failures = check(args)
    for failure in failures[:20]:
        print("CHECK FAILED:", failure)
    print("checks:", "ok" if not failures else f"{len(failures)} failed")
    return 1 if failures or stats.errors else 0


if __name__ == '__main__':
    sys.exit(main())
