#!/usr/bin/env python3
# This file is part of the marketplace modules for Tryton.
"""List a vendor's unpaid marketplace sales and bill a period, with proteus.

    python examples/vendor_sales_proteus.py \\
        http://admin:marketplace-demo@127.0.0.1:8000/demo/rpc/ \\
        "Atelier Lumière"

    # and bill the vendor's sales of a period (needs marketplace_sales_payout)
    python examples/vendor_sales_proteus.py URL "Atelier Lumière" \\
        --payout 2026-11-01 2026-11-30

proteus is Tryton's scripting library (``pip install proteus``): the same
models, fields, buttons and wizards as the client, over XML-RPC.
"""
import argparse
import datetime as dt
import sys
import xmlrpc.client

from proteus import Model, Wizard, config

UNPAID = ['to_invoice', 'awaiting_payment']


def unpaid_sales(vendor):
    "Return the vendor's marketplace sales not paid yet, oldest first"
    MarketplaceSale = Model.get('marketplace.sale')
    return MarketplaceSale.find([
            ('vendor', '=', vendor.id),
            ('state', 'in', UNPAID),
            ], order=[('date', 'ASC'), ('id', 'ASC')])


def print_sales(vendor, sales):
    print(f"Unpaid marketplace sales of {vendor.rec_name}: {len(sales)}")
    for sale in sales:
        print(f"  {sale.date}  {sale.product.rec_name:<24} "
            f"{sale.quantity:>6g}  net {sale.net_amount:>9}  "
            f"commission {sale.commission_amount:>8}  "
            f"payout {sale.payout_amount:>9}  {sale.state}")
    total = sum((s.payout_amount for s in sales), 0)
    print(f"  total payout due: {total}")
    return total


def payout_available():
    Action = Model.get('ir.action.wizard')
    return bool(Action.find([('wiz_name', '=', 'marketplace.payout')]))


def bill(vendor, from_date, to_date):
    "Run the Bill vendor sales wizard for the vendor over the period"
    Invoice = Model.get('account.invoice')
    before = {i.id for i in Invoice.find([
                ('type', '=', 'in'), ('party', '=', vendor.id)])}
    payout = Wizard('marketplace.payout')
    payout.form.from_date = from_date
    payout.form.to_date = to_date
    payout.form.vendors.append(Model.get('party.party')(vendor.id))
    try:
        payout.execute('preview')
        payout.execute('bill')
    except xmlrpc.client.Fault as fault:
        # A user error of the server: nothing left to bill, a payout
        # already running, the configuration to complete...
        print(f"Nothing billed: {fault.faultString.rstrip(' -')}")
        return []
    invoices = Invoice.find([
            ('type', '=', 'in'), ('party', '=', vendor.id),
            ('id', 'not in', list(before)),
            ])
    for invoice in invoices:
        print(f"Vendor invoice {invoice.number}: untaxed "
            f"{invoice.untaxed_amount}, total {invoice.total_amount}, "
            f"{invoice.state}")
    if not invoices:
        print("No vendor invoice created: the vendor's total for the "
            "period is under the minimum payout, or negative")
    return invoices


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url', help="http://user:password@host:port/db/rpc/")
    parser.add_argument('vendor', help="the vendor party name")
    parser.add_argument('--payout', nargs=2, metavar=('FROM', 'TO'),
        type=dt.date.fromisoformat, help="bill the sales of this period")
    args = parser.parse_args(argv)

    config.set_xmlrpc(args.url)
    Party = Model.get('party.party')
    vendors = Party.find([
            ('name', '=', args.vendor), ('marketplace_vendor', '=', True)])
    if len(vendors) != 1:
        parser.error(f"no single marketplace vendor named {args.vendor!r}")
    vendor, = vendors
    print_sales(vendor, unpaid_sales(vendor))
    if args.payout:
        if not payout_available():
            print("The marketplace_sales_payout module is not activated: "
                "no payout.")
            return 2
        bill(vendor, *args.payout)
        print_sales(vendor, unpaid_sales(vendor))
    return 0


if __name__ == '__main__':
    sys.exit(main())
