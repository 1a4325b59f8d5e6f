# This file is part of the marketplace modules for Tryton.
"""The scripts of examples/ against a live trytond serving the demo.

A copy of the demo database (setup/demo_data.py) is served by trytond on a
free port of 127.0.0.1; the proteus and the plain XML-RPC example list a
vendor's unpaid sales and, when the payout module provides its wizard, bill
a vendor for the current month.
"""
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.environ.get('TRYTOND_DATABASE_URI', '').startswith('postgresql'),
    reason="the demo is a SQLite file (setup/demo): the examples run "
    "against it on the SQLite pass of setup/test only")


EXAMPLES = ['vendor_sales_proteus.py', 'vendor_sales_xmlrpc.py']


@pytest.fixture(scope='module')
def server(tmp_path_factory, demo_data):
    "Serve a copy of the demo; yield its XML-RPC URL and payout availability"
    directory = tmp_path_factory.mktemp('examples')
    db = demo_data.cached_copy(str(directory))
    process, url = demo_data.start_server(
        db, log=str(directory / 'trytond.log'), timeout=120)
    try:
        password = demo_data.password_of(db)
        rpc = url.replace('http://', f'http://admin:{password}@') + 'demo/rpc/'
        import xmlrpc.client
        proxy = xmlrpc.client.ServerProxy(rpc, allow_none=True)
        context = proxy.model.res.user.get_preferences(True, {})
        payout = bool(proxy.model.ir.action.wizard.search(
                [('wiz_name', '=', 'marketplace.payout')], 0, 1, None,
                context))
        yield rpc, payout, demo_data.built_on(db)
    finally:
        demo_data.stop_server(process)


def run(example, *args):
    result = subprocess.run(
        [sys.executable, str(ROOT / 'examples' / example)] + list(args),
        capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout, result.stderr


def listing(output, vendor):
    "Return (count, total) of the last listing of vendor in output"
    counts = re.findall(
        rf"Unpaid marketplace sales of {vendor}: (\d+)", output)
    totals = re.findall(r"total payout due: (-?[\d.]+)", output)
    return int(counts[-1]), Decimal(totals[-1])


@pytest.mark.parametrize('example', EXAMPLES)
def test_list_unpaid_sales(server, example):
    "Céramiques du Sud: 87.49 + 102.38 + 116.66 unpaid, billed or not"
    rpc = server[0]
    code, out, err = run(example, rpc, "Céramiques du Sud")
    assert code == 0, err
    assert listing(out, "Céramiques du Sud") == (3, Decimal('306.53'))
    assert "Bol en grès" in out and "Vase émaillé" in out
    assert "payout    116.66" in out


@pytest.mark.parametrize('example, vendor, payout', [
        ('vendor_sales_proteus.py', "Tissages Bretons", Decimal('143.84')),
        ('vendor_sales_xmlrpc.py', "Atelier Lumière", Decimal('85.00')),
        ])
def test_payout_current_month(server, example, vendor, payout, demo_data):
    "Bill the vendor's sales of the current month"
    rpc, available, built_on = server
    # the current month of the demo: the one it was built in
    _, (start, today) = demo_data.periods(built_on)
    code, out, err = run(example, rpc, vendor, '--payout',
        start.isoformat(), today.isoformat())
    if not available:
        assert code == 2, err
        assert "no payout" in out
        pytest.skip("marketplace_sales_payout provides no marketplace.payout"
            " wizard yet: the examples only list")
    assert code == 0, err
    invoice = re.search(r"Vendor invoice (\S+): untaxed ([\d.]+)", out)
    assert invoice, out
    assert Decimal(invoice.group(2)) == payout
    # The billed sale is still unpaid: it now awaits payment.
    assert "awaiting_payment" in out.split("Vendor invoice")[-1]
    # A second run finds nothing left to bill in the period, said in the
    # language of the demo's admin (French unless DEMO_LANG=en)
    code, out, err = run(example, rpc, vendor, '--payout',
        start.isoformat(), today.isoformat())
    assert code == 0, err
    assert re.search(
        r"Nothing billed: (Nothing left to bill|Plus rien à facturer)", out), out
    assert "Vendor invoice" not in out
