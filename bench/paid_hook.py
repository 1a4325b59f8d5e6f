#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""Benchmark: cost of the marketplace paid hook (issue: performance, target 1).

Pays customer invoices of 10 vendor lines on a database with
``marketplace_sales`` and the same invoices on a database with only
``account_invoice`` + ``sale_discount`` (the reference), and prints the
time per payment of both and their ratio (target: at most 1.10).

    .venv/bin/python bench/paid_hook.py [--invoices 30] [--backend sqlite|postgresql]

Each side builds its own fresh database in its own process.  On
PostgreSQL the payments are then made in --rounds rounds that alternate
the sides (reference, ours; then ours, reference; ...), each round paying
its share of the invoices of one side in a new process: both sides are
measured under the same load, so a machine whose speed drifts during the
run does not favour the side measured first.  On SQLite (in memory) each
side pays all its invoices in the process that built it.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

LINES = 10


def run_side(modules, invoices, pay_now=True):
    """Build a database with modules and post the invoices to pay; pay them
    and return timings if pay_now, else return what pay() needs"""
    from decimal import Decimal

    from proteus import Model
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import create_company
    from trytond.tests.tools import activate_modules

    activate_modules(modules, create_company, create_chart)
    # Measure what a production server does: in test mode Tryton also
    # validates Function fields (rec_name...) of every created record.
    from trytond.pool import Pool
    Pool.test = False
    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear())
    fiscalyear.click('create_period')
    accounts = get_accounts()
    marketplace = 'marketplace_sales' in modules

    Journal = Model.get('account.journal')
    PaymentMethod = Model.get('account.invoice.payment.method')
    journal_cash, = Journal.find([('type', '=', 'cash')])
    method = PaymentMethod(name="Cash", journal=journal_cash)
    method.credit_account = method.debit_account = accounts['cash']
    method.save()

    Party = Model.get('party.party')
    Category = Model.get('product.category')
    Uom = Model.get('product.uom')
    Template = Model.get('product.template')
    Invoice = Model.get('account.invoice')
    unit, = Uom.find([('name', '=', 'Unit')])
    category = Category(name="Goods", accounting=True)
    category.account_revenue = accounts['revenue']
    category.account_expense = accounts['expense']
    category.save()
    customer = Party(name="Customer")
    customer.save()
    products = []
    for i in range(LINES):
        template = Template(name=f"Product {i}", default_uom=unit)
        template.type = 'service'
        template.list_price = Decimal('10')
        template.account_category = category
        if marketplace:
            vendor = Party(name=f"Vendor {i}", marketplace_vendor=True)
            vendor.marketplace_commission_rate = Decimal('0.15')
            vendor.marketplace_support_rate = Decimal('0.5')
            vendor.save()
            template.marketplace_vendor = vendor
        template.save()
        products.append(template.products[0])

    to_pay = []
    for n in range(invoices):
        invoice = Invoice(type='out')
        invoice.party = customer
        for i, product in enumerate(products):
            line = invoice.lines.new()
            line.product = product
            line.quantity = i + 1
            line.unit_price = Decimal('9.99')
        invoice.save()
        to_pay.append(invoice)
    Invoice.click(to_pay, 'post')
    if not pay_now:
        return {
            'invoices': [i.id for i in to_pay],
            'method': method.id,
            'marketplace': marketplace,
            }
    return pay(to_pay, method, marketplace, invoices)


def pay_ids(ids, method_id, marketplace, expected):
    "Pay the invoices ids of DB_NAME (built by run_side) and return timings"
    from proteus import Model
    from proteus import config as pconfig
    pconfig.set_trytond(os.environ['DB_NAME'])
    from trytond.pool import Pool
    Pool.test = False
    Invoice = Model.get('account.invoice')
    PaymentMethod = Model.get('account.invoice.payment.method')
    return pay([Invoice(i) for i in ids], PaymentMethod(method_id),
        marketplace, expected)


def pay(to_pay, method, marketplace, expected):
    "Pay to_pay one by one; expected: the paid invoices after the last"
    from proteus import Model, Wizard
    Invoice = Model.get('account.invoice')
    timings = []
    profile = None
    if os.environ.get('BENCH_PROFILE'):
        import cProfile
        profile = cProfile.Profile()
    for invoice in to_pay:
        if profile:
            profile.enable()
        start = time.perf_counter()
        pay = Wizard('account.invoice.pay', [invoice])
        pay.form.payment_method = method
        pay.execute('choice')
        timings.append(time.perf_counter() - start)
        if profile:
            profile.disable()
        invoice.reload()
        assert invoice.state == 'paid', invoice.state
    if profile:
        profile.dump_stats('%s.%s.%d' % (os.environ['BENCH_PROFILE'],
                'marketplace' if marketplace else 'reference', os.getpid()))
    assert len(Invoice.find([('state', '=', 'paid')])) == expected
    if marketplace:
        Sale = Model.get('marketplace.sale')
        assert len(Sale.find([])) == expected * LINES
    return {
        'timings': timings,
        'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--invoices', type=int, default=30)
    parser.add_argument(
        '--backend', choices=['sqlite', 'postgresql'], default='sqlite')
    parser.add_argument('--rounds', type=int, default=3,
        help="PostgreSQL: alternating rounds of payments (default 3)")
    parser.add_argument('--side', help=argparse.SUPPRESS)
    parser.add_argument('--setup', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--pay', help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.pay:
        todo = json.loads(args.pay)
        print(json.dumps(pay_ids(**todo)))
        return
    if args.side:
        print(json.dumps(run_side(
                    args.side.split(','), args.invoices,
                    pay_now=not args.setup)))
        return

    sides = {
        'reference': 'account_invoice,sale_discount',
        'marketplace': 'marketplace_sales',
        }
    interleave = args.backend == 'postgresql'
    envs = {}
    for name in sides:
        env = envs[name] = os.environ.copy()
        env.pop('DB_CACHE', None)
        if interleave:
            env['TRYTOND_DATABASE_URI'] = env.get(
                'TRYTOND_DATABASE_URI', 'postgresql://postgres@127.0.0.1:5432/')
            env['DB_NAME'] = f'bench_paid_{name}_{os.getpid()}'
        else:
            env.pop('TRYTOND_DATABASE_URI', None)
            env['DB_NAME'] = ':memory:'

    def python(name, *extra):
        output = subprocess.run(
            [sys.executable] + (['-O'] if not __debug__ else []) + [
                '-W', 'ignore', __file__, *extra],
            env=envs[name], check=True, capture_output=True, text=True,
            timeout=1800).stdout
        return json.loads(output.strip().splitlines()[-1])

    results = {name: {'timings': [], 'rss_mb': 0} for name in sides}

    def add(name, result):
        results[name]['timings'].extend(result['timings'])
        results[name]['rss_mb'] = max(
            results[name]['rss_mb'], result['rss_mb'])

    if not interleave:
        for name, modules in sides.items():
            add(name, python(name, '--side', modules,
                    '--invoices', str(args.invoices)))
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import datagen
        try:
            built = {name: python(name, '--side', modules, '--setup',
                    '--invoices', str(args.invoices))
                for name, modules in sides.items()}
            rounds = max(1, min(args.rounds, args.invoices))
            order = list(sides)
            for n in range(rounds):
                for name in (order if n % 2 == 0 else order[::-1]):
                    ids = built[name]['invoices']
                    share = ids[
                        n * len(ids) // rounds:(n + 1) * len(ids) // rounds]
                    add(name, python(name, '--pay', json.dumps({
                                    'ids': share,
                                    'method_id': built[name]['method'],
                                    'marketplace': built[name]['marketplace'],
                                    'expected': (
                                        (n + 1) * len(ids) // rounds),
                                    })))
        finally:
            for name in sides:
                datagen.drop_db(envs[name]['DB_NAME'])

    for r in results.values():
        r['median'] = statistics.median(r['timings'])
        r['mean'] = statistics.mean(r['timings'])
    ref, ours = results['reference'], results['marketplace']
    ratio = ours['median'] / ref['median']
    print(f"Paid hook: paying a customer invoice of {LINES} vendor lines "
        f"({args.invoices} payments, {args.backend}, "
        f"python{' -O' if not __debug__ else ''}"
        + (f", {rounds} alternating rounds" if interleave else '') + ")")
    print(f"{'':14}{'median s':>10}{'mean s':>10}{'peak RSS MB':>13}")
    for name in ('reference', 'marketplace'):
        r = results[name]
        print(f"{name:14}{r['median']:10.4f}{r['mean']:10.4f}"
            f"{r['rss_mb']:13.0f}")
    print(f"ratio (marketplace / reference, median): {ratio:.3f} "
        f"(target <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'})")


if __name__ == '__main__':
    main()
