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
        accounting = compare_accounting(pool, cursor, invoice.id)
    print(json.dumps({'rows': len(hook), 'compared': compared,
                'columns': len(names) - len(SKIP) - 1,
                'differences': [list(map(str, d)) for d in differences],
                'accounting': accounting}))


def compare_accounting(pool, cursor, invoice_id):
    """Compare the moves of the invoice posted and paid for real with the
    rows datagen.invoice_move_rows makes for it (ids aside): return the
    number of rows compared and the differences"""
    from itertools import count
    Invoice = pool.get('account.invoice')
    invoice = Invoice(invoice_id)
    move = invoice.move
    receivable, = invoice.lines_to_pay
    payment = next(l.move for l in receivable.reconciliation.lines
        if l.move != move)
    tax, = {t for l in invoice.lines for t in l.taxes}
    ids = {'company': invoice.company.id, 'journal': invoice.journal.id,
        'revenue': invoice.lines[0].account.id, 'tax': tax.id,
        'receivable': invoice.account.id, 'customer': invoice.party.id}
    accounts = datagen.ledger_accounts(cursor, ids)
    new_ids = {n: count(1) for n in
        ['move', 'line', 'tax_line', 'reconciliation', 'invoice_tax']}
    rows = datagen.invoice_move_rows(ids, accounts, invoice.id, [
            {'id': l.id, 'amount': l.amount, 'date': invoice.invoice_date}
            for l in invoice.lines],
        invoice.untaxed_amount, invoice.tax_amount, new_ids)

    def model(origin):
        return str(origin).split(',')[0] if origin else None
    generated_moves = {r[0]: r for r in rows['moves']}
    tax_lines = {}
    for r in rows['tax_lines']:
        tax_lines.setdefault(r[1], []).append((r[2], r[3], r[4]))
    generated = sorted(
        (generated_moves[r[1]][2], generated_moves[r[1]][3],
            generated_moves[r[1]][8] is not None, r[2], r[3], r[4],
            r[5], r[6] is not None, r[7] is not None, model(r[8]),
            sorted(tax_lines.get(r[0], [])))
        for r in rows['lines'])
    real = sorted(
        (l.move.journal.id, l.move.period.id, l.move == move, l.account.id,
            l.debit, l.credit, l.party.id if l.party else None,
            l.maturity_date is not None, l.reconciliation is not None,
            model(l.origin),
            sorted((t.tax.id, t.type, t.amount) for t in l.tax_lines))
        for m in [move, payment] for l in m.lines)
    differences = [[str(g), str(r)] for g, r in zip(generated, real)
        if g != r]
    generated_taxes = [r[2:] for r in rows['invoice_taxes']]
    real_taxes = [(t.tax.id, t.account.id, t.base, t.amount, t.description,
            bool(t.manual)) for t in invoice.taxes]
    if generated_taxes != real_taxes:
        differences.append([str(generated_taxes), str(real_taxes)])
    if len(generated) != len(real):
        differences.append([f'{len(generated)} lines', f'{len(real)} lines'])
    states = {(m.state, m.date == invoice.invoice_date) for m in [
            move, payment]}
    if states != {('posted', True)}:
        differences.append(['posted moves of the invoice date', str(states)])
    return {'lines': len(real), 'taxes': len(real_taxes),
        'differences': differences}


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
    accounting = result['accounting']
    print(f"its invoice posted and paid for real: {accounting['lines']} "
        "move lines (journal, period, account, debit, credit, party, "
        "maturity, reconciliation, origin, tax lines) and "
        f"{accounting['taxes']} invoice tax compared with the "
        "generator's: " + ("identical" if not accounting['differences']
            else f"{len(accounting['differences'])} differences"))
    for generated, real in accounting['differences']:
        print(f"  generator {generated}\n  real      {real}")
    if result['differences'] or accounting['differences']:
        sys.exit(1)


if __name__ == '__main__':
    main()
