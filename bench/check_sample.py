#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""Check the benchmark generator against the real paid hook.

On a copy of the base database, one vendor with 10 products (created by
the generator's ``create_vendors``) sells 10 lines through a real sale
(quotation, confirmation, a 10 % discount every fourth line as the
generator does), the invoice is posted and paid with the pay wizard, so
the paid hook creates the marketplace sales.  The generator's
``sale_row`` is then applied to the same invoice lines and every column of
both rows is compared (ids and timestamps aside).

    .venv/bin/python bench/datagen.py check
"""
import json
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datagen  # noqa: E402

SKIP = {'id', 'create_date', 'create_uid', 'write_date', 'write_uid'}


def run(dbname):
    from proteus import Model, Wizard
    from proteus import config as pconfig
    from trytond.modules.marketplace_sales.tests.tools import (
        create_payment_method)
    from trytond.transaction import Transaction
    cfg = pconfig.set_trytond(dbname)
    pool = cfg.pool
    with Transaction().start(dbname, 0):
        company = pool.get('company.company').search([])[0].id
    with Transaction().start(dbname, 0, context={'company': company}) as t:
        (vendor, agent, products), = datagen.create_vendors(
            pool, company, 1)
        t.commit()
    Party = Model.get('party.party')
    Sale = Model.get('sale.sale')
    Product = Model.get('product.product')
    customer, = Party.find([('name', '=', "Customer")])
    sale = Sale(party=customer, invoice_method='order')
    for k, product_id in enumerate(products):
        line = sale.lines.new()
        line.product = Product(product_id)
        line.quantity = 1 + k % 3
        if k % 4 == 0:
            line.discount_rate = Decimal('0.1')
    sale.click('quote')
    sale.click('confirm')
    invoice, = sale.invoices
    invoice.click('post')
    method = create_payment_method()
    pay = Wizard('account.invoice.pay', [invoice])
    pay.form.payment_method = method
    pay.execute('choice')
    invoice.reload()
    assert invoice.state == 'paid', invoice.state

    with Transaction().start(dbname, 0, context={'company': company}) as t:
        cursor = t.connection.cursor()
        Company = pool.get('company.company')
        currency = Company(company).currency
        cursor.execute('SELECT * FROM marketplace_sale WHERE invoice = %s '
            'ORDER BY invoice_line', (invoice.id,))
        names = [d[0] for d in cursor.description]
        hook = [dict(zip(names, r)) for r in cursor.fetchall()]
        InvoiceLine = pool.get('account.invoice.line')
        differences, compared = [], 0
        for row in hook:
            line = InvoiceLine(row['invoice_line'])
            j = products.index(line.product.id)
            generated = datagen.sale_row(currency, {
                    'id': line.id, 'invoice': invoice.id,
                    'company': company, 'currency': currency.id,
                    'vendor': vendor, 'customer': customer.id,
                    'product': line.product.id, 'description': None,
                    'quantity': line.quantity, 'unit': line.unit.id,
                    'base_price': Decimal('10') + j,
                    'unit_price': line.unit_price, 'amount': line.amount,
                    }, row['date'])
            for name in names:
                if name in SKIP:
                    continue
                ours = generated.get(name)
                theirs = row[name]
                if name == 'description':
                    # the hook copies the invoice line's description (the
                    # product name); the generator leaves it empty
                    continue
                compared += 1
                if ours != theirs and not (
                        isinstance(theirs, Decimal)
                        and Decimal(str(ours)) == theirs):
                    differences.append((row['invoice_line'], name, ours,
                            theirs))
    print(json.dumps({'rows': len(hook), 'compared': compared,
                'columns': len(names) - len(SKIP) - 1,
                'differences': [list(map(str, d)) for d in differences]}))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == '--run':
        run(sys.argv[2])
        return
    datagen.ensure_base()
    dbname = datagen.PREFIX + 'run_sample'
    datagen.copy_db(datagen.BASE, dbname)
    try:
        out = datagen.run_python(
            [os.path.abspath(__file__), '--run', dbname], check=False)
    finally:
        datagen.drop_db(dbname)
    if out.returncode:
        sys.exit(out.stdout + out.stderr[-5000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"sample through the real paid hook: {result['rows']} sales, "
        f"{result['columns']} columns compared with the generator's rows "
        f"({result['compared']} values): "
        + ("identical" if not result['differences'] else
            f"{len(result['differences'])} differences"))
    for d in result['differences']:
        print("  line %s %s: generator %s, hook %s" % tuple(d))
    if result['differences']:
        sys.exit(1)


if __name__ == '__main__':
    main()
