#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""Benchmark: cost of the marketplace paid hook (issue: performance, target 1).

Pays customer invoices of 10 vendor lines on a database with
``marketplace_sales`` and the same invoices on a database with only
``account_invoice`` + ``sale_discount`` (the reference), and prints the
time per payment of both and their ratio (target: at most 1.10).

    .venv/bin/python bench/paid_hook.py [--invoices 30] [--backend sqlite|postgresql]

Each side runs in its own process on its own fresh database.
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


def run_side(modules, invoices):
    "Build a database with modules, pay the invoices and return timings"
    from decimal import Decimal

    from proteus import Model, Wizard
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
        profile.dump_stats(os.environ['BENCH_PROFILE'])
    if marketplace:
        Sale = Model.get('marketplace.sale')
        assert len(Sale.find([])) == invoices * LINES
    return {
        'median': statistics.median(timings),
        'mean': statistics.mean(timings),
        'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--invoices', type=int, default=30)
    parser.add_argument(
        '--backend', choices=['sqlite', 'postgresql'], default='sqlite')
    parser.add_argument('--side', help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.side:
        print(json.dumps(run_side(args.side.split(','), args.invoices)))
        return

    results = {}
    sides = {
        'reference': 'account_invoice,sale_discount',
        'marketplace': 'marketplace_sales',
        }
    for name, modules in sides.items():
        env = os.environ.copy()
        env.pop('DB_CACHE', None)
        if args.backend == 'postgresql':
            env['TRYTOND_DATABASE_URI'] = env.get(
                'TRYTOND_DATABASE_URI', 'postgresql://postgres@127.0.0.1:5432/')
            env['DB_NAME'] = f'bench_paid_{name}_{os.getpid()}'
        else:
            env.pop('TRYTOND_DATABASE_URI', None)
            env['DB_NAME'] = ':memory:'
        if True:
            output = subprocess.run(
                [sys.executable] + (['-O'] if not __debug__ else []) + [
                    '-W', 'ignore', __file__, '--side', modules,
                    '--invoices', str(args.invoices)],
                env=env, check=True, capture_output=True, text=True,
                timeout=1800).stdout
        results[name] = json.loads(output.strip().splitlines()[-1])
        if args.backend == 'postgresql':
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import datagen
            datagen.drop_db(env['DB_NAME'])

    ref, ours = results['reference'], results['marketplace']
    ratio = ours['median'] / ref['median']
    print(f"Paid hook: paying a customer invoice of {LINES} vendor lines "
        f"({args.invoices} payments, {args.backend}, "
        f"python{' -O' if not __debug__ else ''})")
    print(f"{'':14}{'median s':>10}{'mean s':>10}{'peak RSS MB':>13}")
    for name in ('reference', 'marketplace'):
        r = results[name]
        print(f"{name:14}{r['median']:10.4f}{r['mean']:10.4f}"
            f"{r['rss_mb']:13.0f}")
    print(f"ratio (marketplace / reference, median): {ratio:.3f} "
        f"(target <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'})")


if __name__ == '__main__':
    main()
