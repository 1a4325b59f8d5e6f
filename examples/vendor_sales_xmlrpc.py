#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""List a vendor's unpaid marketplace sales and bill a period, over XML-RPC.

    python3 examples/vendor_sales_xmlrpc.py \\
        http://admin:marketplace-demo@127.0.0.1:8000/demo/rpc/ \\
        "Atelier Lumière"

    # and bill the vendor's sales of a period (needs marketplace_sales_payout)
    python3 examples/vendor_sales_xmlrpc.py URL "Atelier Lumière" \\
        --payout 2026-11-01 2026-11-30

Only the Python standard library: any language with an XML-RPC client can do
the same.  What to know about Tryton's XML-RPC:

- the URL is ``http://<login>:<password>@<host>:<port>/<database>/rpc/``;
- a model method is ``model.<model name>.<method>(args..., context)``, the
  context last (``model.res.user.get_preferences(True, {})`` gives the
  user's);
- amounts come back as ``Decimal`` (``<bigdecimal>``), dates as a struct
  ``{'__class__': 'date', 'year': ..., 'month': ..., 'day': ...}``, which is
  also how to send one;
- a wizard is ``wizard.<name>.create(context)`` → session, ``execute(session,
  data, state, context)`` with ``data = {<view state>: {<field>: value}}``,
  then ``delete(session, context)``.
"""
import argparse
import datetime as dt
import sys
import xmlrpc.client

UNPAID = ['to_invoice', 'awaiting_payment']
FIELDS = ['date', 'product.rec_name', 'quantity', 'net_amount',
    'commission_amount', 'payout_amount', 'state']


def to_date(value):
    "Decode Tryton's date struct"
    if isinstance(value, dict) and value.get('__class__') == 'date':
        return dt.date(value['year'], value['month'], value['day'])
    return value


def from_date(value):
    "Encode a date the way Tryton's XML-RPC reads it"
    return {'__class__': 'date',
        'year': value.year, 'month': value.month, 'day': value.day}


def unpaid_sales(server, context, vendor_id):
    return server.model.marketplace.sale.search_read([
            ('vendor', '=', vendor_id),
            ('state', 'in', UNPAID),
            ], 0, None, [('date', 'ASC'), ('id', 'ASC')], FIELDS, context)


def print_sales(name, sales):
    print(f"Unpaid marketplace sales of {name}: {len(sales)}")
    for sale in sales:
        product = (sale.get('product.') or {}).get('rec_name', '')
        print(f"  {to_date(sale['date'])}  {product:<24} "
            f"{sale['quantity']:>6g}  net {sale['net_amount']:>9}  "
            f"commission {sale['commission_amount']:>8}  "
            f"payout {sale['payout_amount']:>9}  {sale['state']}")
    total = sum((s['payout_amount'] for s in sales), 0)
    print(f"  total payout due: {total}")
    return total


def bill(server, context, vendor_id, start, end):
    "Run the marketplace.payout wizard for one vendor over the period"
    invoice = server.model.account.invoice
    domain = [('type', '=', 'in'), ('party', '=', vendor_id)]
    before = invoice.search(domain, 0, None, None, context)
    wizard = server.wizard.marketplace.payout
    session, _, _ = wizard.create(context)
    try:
        wizard.execute(session, {'start': {
                    'from_date': from_date(start),
                    'to_date': from_date(end),
                    'vendors': [vendor_id],
                    }}, 'bill', context)
    except xmlrpc.client.Fault as fault:
        # A user error of the server: nothing left to bill, a payout
        # already running, the configuration to complete...
        print(f"Nothing billed: {fault.faultString.rstrip(' -')}")
        return []
    finally:
        wizard.delete(session, context)
    created = invoice.search_read(
        domain + [('id', 'not in', before)], 0, None, None,
        ['number', 'untaxed_amount', 'total_amount', 'state'], context)
    for values in created:
        print(f"Vendor invoice {values['number']}: untaxed "
            f"{values['untaxed_amount']}, total {values['total_amount']}, "
            f"{values['state']}")
    if not created:
        print("No vendor invoice created: the vendor's total for the "
            "period is under the minimum payout, or negative")
    return created


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url', help="http://user:password@host:port/db/rpc/")
    parser.add_argument('vendor', help="the vendor party name")
    parser.add_argument('--payout', nargs=2, metavar=('FROM', 'TO'),
        type=dt.date.fromisoformat, help="bill the sales of this period")
    args = parser.parse_args(argv)

    server = xmlrpc.client.ServerProxy(
        args.url, allow_none=True, use_builtin_types=True)
    context = server.model.res.user.get_preferences(True, {})
    vendor_ids = server.model.party.party.search([
            ('name', '=', args.vendor), ('marketplace_vendor', '=', True),
            ], 0, None, None, context)
    if len(vendor_ids) != 1:
        parser.error(f"no single marketplace vendor named {args.vendor!r}")
    vendor_id, = vendor_ids
    print_sales(args.vendor, unpaid_sales(server, context, vendor_id))
    if args.payout:
        if not server.model.ir.action.wizard.search(
                [('wiz_name', '=', 'marketplace.payout')], 0, 1, None,
                context):
            print("The marketplace_sales_payout module is not activated: "
                "no payout.")
            return 2
        bill(server, context, vendor_id, *args.payout)
        print_sales(args.vendor, unpaid_sales(server, context, vendor_id))
    return 0


if __name__ == '__main__':
    sys.exit(main())
