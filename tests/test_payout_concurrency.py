# This file is part of the marketplace modules for Tryton.
"""Eight users click "Bill" on the same period at the same instant, against a
running trytond on PostgreSQL, through XML-RPC (proteus).

Every sale must be billed exactly once, and every user gets either the
invoices or a clear message ("nothing left to bill" / "a payout is already
running"), never a raw database error.
"""
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

URI = os.environ.get('TRYTOND_DATABASE_URI', '')
pytestmark = pytest.mark.skipif(
    not URI.startswith('postgresql'),
    reason="the concurrency proof needs PostgreSQL: it runs in the "
    "PostgreSQL pass of setup/test")

CLIENTS = 8
VENDORS = 4
INVOICES = 3
PASSWORD = 'concurrency-admin'
CLEAR_MESSAGES = ("Nothing left to bill", "A payout is already running")


def populate(server_today):
    """Return the expected sales after building them through the paid hook
    and the server's date when they were built"""
    from proteus import Model
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import (
        create_company, get_company)
    from trytond.modules.marketplace_sales.tests.tools import (
        create_payment_method, create_vendor, create_vendor_product,
        pay_invoice)
    from trytond.tests.tools import activate_modules

    config = activate_modules(
        'marketplace_sales_payout', create_company, create_chart)
    company = get_company()
    built_on = server_today()
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(today=built_on))
    fiscalyear.click('create_period')
    accounts = get_accounts()
    method = create_payment_method()

    Category = Model.get('product.category')
    category = Category(name="Goods", accounting=True)
    category.account_expense = accounts['expense']
    category.account_revenue = accounts['revenue']
    category.save()
    Template = Model.get('product.template')
    Uom = Model.get('product.uom')
    unit, = Uom.find([('name', '=', 'Unit')])
    commission = Template(name="Commission", default_uom=unit)
    commission.type = 'service'
    commission.account_category = category
    commission.save()
    Journal = Model.get('account.journal')
    journal, = Journal.find([('type', '=', 'expense')])
    SequenceType = Model.get('ir.sequence.type')
    sequence_type, = SequenceType.find(
        [('name', '=', "Marketplace Self-Billing")])
    Sequence = Model.get('ir.sequence.strict')
    sequence = Sequence(name="Self-billing", sequence_type=sequence_type,
        company=company)
    sequence.save()
    Configuration = Model.get('marketplace.configuration')
    configuration = Configuration(1)
    configuration.commission_product, = commission.products
    configuration.payout_journal = journal
    configuration.self_billing_sequence = sequence
    configuration.save()

    products = []
    for i in range(VENDORS):
        vendor = create_vendor(f"Vendor {i}", Decimal('0.15'), Decimal('0.5'))
        products.append(create_vendor_product(
                f"Product {i}", Decimal('10'), vendor, category))
    Party = Model.get('party.party')
    customer = Party(name="Customer")
    customer.save()
    Invoice = Model.get('account.invoice')
    for n in range(INVOICES):
        invoice = Invoice(type='out')
        invoice.party = customer
        for i, product in enumerate(products):
            line = invoice.lines.new()
            line.product = product
            line.quantity = n + i + 1
            line.unit_price = Decimal('9.99')
        invoice.click('post')
        pay_invoice(invoice, method)

    User = Model.get('res.user')
    admin = User(config.user)
    admin.password = PASSWORD
    admin.save()
    Sale = Model.get('marketplace.sale')
    return {s.id: s.payout_amount for s in Sale.find([])}, built_on


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path, fresh_database, server_today):
    with fresh_database():
        yield from serve(tmp_path, server_today)


def serve(tmp_path, server_today):
    from trytond.tests.test_tryton import DB_NAME
    expected, built_on = populate(server_today)
    port = free_port()
    config = tmp_path / 'trytond.conf'
    config.write_text(
        f"[database]\nuri = {URI}\n\n[web]\nlisten = 127.0.0.1:{port}\n\n"
        "[session]\nmax_attempt = 100\n")
    trytond = shutil.which('trytond') or os.path.join(
        os.path.dirname(sys.executable), 'trytond')
    log = open(tmp_path / 'trytond.log', 'w')
    process = subprocess.Popen(
        [trytond, '-c', str(config), '-d', DB_NAME],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (
                (tmp_path / 'trytond.log').read_text()[-3000:])
            try:
                urllib.request.urlopen(
                    f'http://127.0.0.1:{port}/', timeout=5).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, "trytond did not start"
                time.sleep(0.5)
        yield {
            'url': f'http://admin:{PASSWORD}@127.0.0.1:{port}/{DB_NAME}/rpc/',
            'expected': expected, 'built_on': built_on,
            'today': server_today,
            }
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


def test_eight_clicks_bill_each_sale_once(server):
    from proteus import Model, Wizard
    from proteus import config as pconfig

    # every sale was dated by the server on or after built_on
    from_date = server['built_on'] - dt.timedelta(days=31)
    pconfig.set_xmlrpc(server['url'])
    to_date = server['today']()
    barrier = threading.Barrier(CLIENTS, timeout=120)
    outcomes = [None] * CLIENTS

    def click(n):
        try:
            pconfig.set_xmlrpc(server['url'])
            payout = Wizard('marketplace.payout')
            payout.form.from_date = from_date
            payout.form.to_date = to_date
            payout.execute('preview')
            barrier.wait()
            payout.execute('bill')
            outcomes[n] = ('invoices', None)
        except Exception as exception:  # noqa: the outcome is what we test
            outcomes[n] = ('error', str(exception))

    threads = [
        threading.Thread(target=click, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client hung"

    print("outcomes:", outcomes)
    billed = [o for o in outcomes if o[0] == 'invoices']
    refused = [o for o in outcomes if o[0] == 'error']
    assert len(billed) == 1, outcomes
    for _, message in refused:
        assert any(m in message for m in CLEAR_MESSAGES), message

    pconfig.set_xmlrpc(server['url'])
    Sale = Model.get('marketplace.sale')
    Invoice = Model.get('account.invoice')
    sales = Sale.find([])
    expected = server['expected']
    assert len(sales) == VENDORS * INVOICES == len(expected)
    # every sale billed exactly once, none lost
    assert {s.state for s in sales} == {'awaiting_payment'}
    assert all(s.vendor_invoice and s.vendor_invoice_line for s in sales)
    invoices = Invoice.find([('type', '=', 'in')])
    assert len(invoices) == VENDORS
    assert {i.state for i in invoices} == {'posted'}
    # totals reconcile: vendor invoices = payouts of the billed sales
    assert sum(i.untaxed_amount for i in invoices) == sum(expected.values())
    for invoice in invoices:
        assert invoice.untaxed_amount == sum(
            s.payout_amount for s in sales
            if s.vendor_invoice.id == invoice.id)
