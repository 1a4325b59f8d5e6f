# This file is part of the marketplace modules for Tryton.
"""The demo database that ``setup/demo`` builds (setup/demo_data.py).

Builds it into a temporary SQLite file (once per test run: DB_CACHE) and
checks what the README promises: the French company and chart, the modules,
the vendors, the marketplace sales with amounts computed by hand, and the
payout of the previous month when the payout module provides it.
"""
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import urllib.request
import xmlrpc.client
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.environ.get('TRYTOND_DATABASE_URI', '').startswith('postgresql'),
    reason="the demo is a SQLite file (setup/demo): built and checked on "
    "the SQLite pass of setup/test only")


@pytest.fixture(scope='module')
def demo_db(tmp_path_factory, demo_data):
    return demo_data.cached_copy(str(tmp_path_factory.mktemp('demo')))


@pytest.fixture(scope='module')
def db(demo_db):
    connection = sqlite3.connect(demo_db)
    yield connection
    connection.close()


def rows(db, query, *args):
    return db.execute(query, args).fetchall()


def D(value):
    return Decimal(str(value))


def payout_activated(db):
    return bool(rows(db, "SELECT 1 FROM ir_action_wizard "
            "WHERE wiz_name = 'marketplace.payout'"))


def marketplace_sales(db):
    "Return {(vendor, product, date): row as dict}"
    result = {}
    for row in rows(db, """
            SELECT v.name, pt.name, s.date, s.quantity,
                CAST(s.gross_amount AS TEXT), CAST(s.net_amount AS TEXT),
                CAST(s.discount_amount AS TEXT),
                CAST(s.vendor_support_amount AS TEXT),
                CAST(s.commission_rate AS TEXT),
                CAST(s.commission_amount AS TEXT),
                CAST(s.payout_amount AS TEXT), s.state, s.vendor_invoice,
                CAST(s.tax_rate AS TEXT)
            FROM marketplace_sale AS s
            JOIN party_party AS v ON v.id = s.vendor
            JOIN product_product AS pp ON pp.id = s.product
            JOIN product_template AS pt ON pt.id = pp.template"""):
        (vendor, product, date, quantity, gross, net, discount, support,
            rate, commission, payout, state, vendor_invoice, tax_rate) = row
        key = (vendor, product, dt.date.fromisoformat(str(date)[:10]))
        assert key not in result
        result[key] = {
            'quantity': quantity, 'gross': D(gross), 'net': D(net),
            'discount': D(discount), 'support': D(support),
            'rate': D(rate), 'commission': D(commission),
            'payout': D(payout), 'state': state,
            'vendor_invoice': vendor_invoice, 'tax_rate': D(tax_rate),
            }
    return result


def test_company_chart_and_modules(db, demo_db, demo_data):
    "A French company in EUR with the French chart and all modules"
    (name, currency), = rows(db, """
        SELECT p.name, c.code FROM company_company AS co
        JOIN party_party AS p ON p.id = co.party
        JOIN currency_currency AS c ON c.id = co.currency""")
    assert (name, currency) == ("Marché des Créateurs SAS", 'EUR')
    codes = {r[0] for r in rows(db, "SELECT code FROM account_account")}
    assert {'4111', '4011', '7011', '706', '5121', '44571'} <= codes
    activated = {r[0] for r in rows(
            db, "SELECT name FROM ir_module WHERE state = 'activated'")}
    assert {'marketplace_sales', 'marketplace_sales_payout',
        'sales_dashboard', 'sales_management', 'account_fr',
        'marketplace_vendor_portal',
        'sale_opportunity', 'sale_subscription',
        'sale_discount'} <= activated
    years = {r[0] for r in rows(db, "SELECT name FROM account_fiscalyear")}
    assert str(demo_data.built_on(demo_db).year) in years
    # The client opens on the menu, not on the configuration wizard.
    assert rows(db, "SELECT COUNT(*) FROM ir_module_config_wizard_item "
        "WHERE state != 'done'") == [(0,)]


def test_vendors_and_configuration(db):
    vendors = {name: (D(rate), D(support)) for name, rate, support in rows(
            db, "SELECT name, CAST(marketplace_commission_rate AS TEXT), "
            "CAST(marketplace_support_rate AS TEXT) FROM party_party "
            "WHERE marketplace_vendor")}
    assert vendors == {
        "Atelier Lumière": (Decimal('0.15'), Decimal('0.5')),
        "Céramiques du Sud": (Decimal('0.125'), Decimal('0')),
        "Tissages Bretons": (Decimal('0.2'), Decimal('1')),
        }
    (override,), = rows(db, "SELECT CAST(marketplace_commission_rate AS TEXT)"
        " FROM product_template WHERE name = 'Suspension en rotin'")
    assert D(override) == Decimal('0.1')
    (rate, minimum, product, journal_type, sequence_type), = rows(db, """
        SELECT CAST(c.default_commission_rate AS TEXT),
            CAST(c.minimum_payout AS TEXT), pt.type, j.type, st.name
        FROM marketplace_configuration AS c
        JOIN product_product AS pp ON pp.id = c.commission_product
        JOIN product_template AS pt ON pt.id = pp.template
        JOIN account_journal AS j ON j.id = c.payout_journal
        JOIN ir_sequence_strict AS s ON s.id = c.self_billing_sequence
        JOIN ir_sequence_type AS st ON st.id = s.sequence_type""")
    assert (D(rate), D(minimum)) == (Decimal('0.15'), Decimal('20'))
    assert (product, journal_type) == ('service', 'expense')
    (self_billing,), = rows(db, """
        SELECT db_id FROM ir_model_data WHERE module = 'marketplace_sales'
        AND fs_id = 'sequence_type_self_billing'""")
    assert rows(db, "SELECT COUNT(*) FROM ir_sequence_strict "
        "WHERE sequence_type = ?", self_billing) == [(1,)]


def test_customer_invoices_paid(db, demo_data):
    "The five marketplace customer invoices, all posted and paid"
    customers = tuple(name for name, _ in demo_data.CUSTOMERS)
    states = rows(db, "SELECT i.state, COUNT(*) FROM account_invoice AS i "
        "JOIN party_party AS p ON p.id = i.party "
        f"WHERE i.type = 'out' AND p.name IN ({', '.join('?' * 4)}) "
        "GROUP BY i.state", *customers)
    assert states == [('paid', 5)]
    # Four lines sold with a discount (sale_discount).
    discounted = rows(db, "SELECT COUNT(*) FROM sale_line AS l "
        "JOIN sale_sale AS s ON s.id = l.sale "
        "JOIN party_party AS p ON p.id = s.party "
        "WHERE CAST(l.unit_price AS REAL) < CAST(l.base_price AS REAL) "
        f"AND p.name IN ({', '.join('?' * 4)})", *customers)
    assert discounted == [(4,)]
    # Invoices are numbered in one series a month: 2026-10-0001.
    numbers = [r[0] for r in rows(db, "SELECT number FROM account_invoice "
            "WHERE type = 'out' AND number IS NOT NULL")]
    assert numbers and all(
        len(n) == len('2026-10-0001') and n[4] == n[7] == '-'
        for n in numbers), numbers


def test_marketplace_sales_amounts(db, demo_db, demo_data):
    "Eight marketplace sales with the amounts computed by hand"
    built_on = demo_data.built_on(demo_db)
    (previous_start, previous_end), (current_start, today) = (
        demo_data.periods(built_on))
    sales = marketplace_sales(db)
    assert len(sales) == 8

    def sale(vendor, product, period, day):
        return sales[(vendor, product,
                demo_data.sale_date(period, day, built_on))]

    # Worked example A: 2 × 100.00, 10 % off, 15 %, vendor bears 50 %.
    a = sale("Atelier Lumière", "Lampe de chevet", 'previous', 12)
    assert (a['gross'], a['net'], a['discount'], a['support'],
        a['commission'], a['payout']) == (
        Decimal('200.00'), Decimal('180.00'), Decimal('20.00'),
        Decimal('10.00'), Decimal('20.00'), Decimal('160.00'))
    # Worked example B: 3 × 33.33, 12.5 %: payout round(87.49125).
    b = sale("Céramiques du Sud", "Bol en grès", 'previous', 19)
    assert (b['gross'], b['commission'], b['payout']) == (
        Decimal('99.99'), Decimal('12.50'), Decimal('87.49'))
    # The product override (10 %) wins over the vendor's 15 %.
    s = sale("Atelier Lumière", "Suspension en rotin", 'previous', 26)
    assert (s['rate'], s['commission'], s['payout']) == (
        Decimal('0.1'), Decimal('14.90'), Decimal('134.10'))
    # 89.90 with 10 % off, 20 %, the vendor bears the whole discount:
    # payout round(89.90 × 0.8) − 8.99 = 71.92 − 8.99.
    p = sale("Tissages Bretons", "Plaid en laine", 'previous', 19)
    assert (p['net'], p['support'], p['payout'], p['commission']) == (
        Decimal('80.91'), Decimal('8.99'), Decimal('62.93'),
        Decimal('17.98'))
    # 2 × 58.50, 10 % off, 12.5 %, the marketplace bears the discount:
    # net 105.30, payout round(117.00 × 0.875) = 102.38, commission 2.92.
    v = sale("Céramiques du Sud", "Vase émaillé", 'previous', 26)
    assert (v['net'], v['payout'], v['commission']) == (
        Decimal('105.30'), Decimal('102.38'), Decimal('2.92'))
    # 4 × 33.33, 5 % off: net 126.65, payout round(116.655) = 116.66.
    c = sale("Céramiques du Sud", "Bol en grès", 'current', None)
    assert (c['net'], c['payout'], c['commission']) == (
        Decimal('126.65'), Decimal('116.66'), Decimal('9.99'))
    for values in sales.values():
        assert values['commission'] + values['payout'] == values['net']
        # French VAT 20 % (its 19.6 % child ended in 2013)
        assert values['tax_rate'] == Decimal('0.2'), values
    # The gift wrap is the marketplace's own product: no sale.
    assert not [k for k in sales if k[1] == "Emballage cadeau"]


def test_payout_of_previous_month(db, demo_db, demo_data):
    "The previous month billed, the vendor invoice of Atelier Lumière paid"
    if not payout_activated(db):
        pytest.skip("marketplace_sales_payout provides no marketplace.payout"
            " wizard yet: the demo bills no vendor")
    with open(demo_data.paths(demo_db)['ready']) as fp:
        built = json.load(fp)
    assert not built.get('payout_error'), built['payout_error']
    assert built['payout'] is True
    (previous_start, previous_end), _ = demo_data.periods(
        demo_data.built_on(demo_db))
    sales = marketplace_sales(db)
    by_state = {}
    for (vendor, product, date), values in sales.items():
        period = 'previous' if date <= previous_end else 'current'
        by_state.setdefault((period, values['state']), []).append(vendor)
    assert sorted(by_state[('previous', 'paid')]) == ["Atelier Lumière"] * 2
    assert len(by_state[('previous', 'awaiting_payment')]) == 3
    assert len(by_state[('current', 'to_invoice')]) == 3
    invoices = {name: (D(untaxed), state) for name, untaxed, state in rows(
            db, "SELECT p.name, CAST(i.untaxed_amount_cache AS TEXT), i.state "
            "FROM account_invoice AS i JOIN party_party AS p "
            "ON p.id = i.party WHERE i.type = 'in' "
            "AND p.marketplace_vendor")}
    # Untaxed = the sum of the vendor's payouts of the period.
    assert invoices == {
        "Atelier Lumière": (Decimal('294.10'), 'paid'),
        "Céramiques du Sud": (Decimal('189.87'), 'posted'),
        "Tissages Bretons": (Decimal('62.93'), 'posted'),
        }


def test_vendor_web_users(db, demo_db, demo_data):
    "Each demo vendor has a web user of the portal; no ERP user is a vendor"
    users = rows(db, """
        SELECT u.email, p.name, u.active, u.password_hash IS NOT NULL
        FROM web_user AS u JOIN party_party AS p ON p.id = u.party
        ORDER BY u.email""")
    assert users == [
        ('atelier-lumiere@example.com', "Atelier Lumière", 1, 1),
        ('ceramiques-du-sud@example.com', "Céramiques du Sud", 1, 1),
        ('tissages-bretons@example.com', "Tissages Bretons", 1, 1),
        ]
    assert demo_data.portal_login(demo_db) == 'atelier-lumiere@example.com'
    assert rows(db, "SELECT translatable FROM ir_lang WHERE code = 'fr'") == [
        (1,)]
    assert rows(db, "SELECT COUNT(*) FROM res_group "
        "WHERE name LIKE '%Vendor Portal%'") == [(0,)]


def test_french_by_default(db):
    "The demo's admin and company speak French unless DEMO_LANG=en"
    assert rows(db, """
        SELECT l.code FROM res_user AS u JOIN ir_lang AS l ON l.id = u.language
        WHERE u.login = 'admin'""") == [('fr',)]
    assert rows(db, """
        SELECT l.code FROM company_company AS c
        JOIN party_party_lang AS p ON p.party = c.party
        JOIN ir_lang AS l ON l.id = p.lang""") == [('fr',)]


def test_second_build_reuses(demo_db, tmp_path, demo_data):
    "A second build, and a second setup/demo, reuse the database"
    assert demo_data.build(demo_db) is False
    env = dict(os.environ, DEMO_DB=demo_db, DEMO_NO_SERVER='1')
    for name in ['TRYTOND_DATABASE_URI', 'DB_NAME', 'DB_CACHE']:
        env.pop(name, None)
    before = os.path.getmtime(demo_db)
    result = subprocess.run([str(ROOT / 'setup' / 'demo')], env=env,
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Reusing the demo database" in result.stderr
    assert "admin / marketplace-demo" in result.stdout
    assert os.path.getmtime(demo_db) == before


def test_setup_demo_serves_web_client(demo_db, demo_data):
    "setup/demo starts trytond with the web client and prints the login"
    sao = ROOT / 'var' / 'sao' / 'package' / 'index.html'
    if not sao.exists() and not shutil.which('npm'):
        pytest.skip("no tryton-sao in var/sao and no npm to install it: "
            "'apt-get install npm'")
    port = demo_data.free_port()
    env = dict(os.environ, DEMO_DB=demo_db, DEMO_PORT=str(port))
    for name in ['TRYTOND_DATABASE_URI', 'DB_NAME', 'DB_CACHE']:
        env.pop(name, None)
    process = subprocess.Popen([str(ROOT / 'setup' / 'demo')], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        url = f'http://127.0.0.1:{port}/'
        demo_data.wait_http(url, timeout=600, process=process)
        with urllib.request.urlopen(url, timeout=30) as response:
            page = response.read().decode('utf-8')
        assert 'tryton-sao.js' in page
        proxy = xmlrpc.client.ServerProxy(
            f'http://admin:marketplace-demo@127.0.0.1:{port}/demo/rpc/')
        context = proxy.model.res.user.get_preferences(True, {})
        assert proxy.model.marketplace.sale.search_count([], context) == 8
        portal = f'http://127.0.0.1:{port}/demo/marketplace/vendor/login'
        with urllib.request.urlopen(portal, timeout=30) as response:
            assert 'name="password"' in response.read().decode('utf-8')
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    err = err.decode('utf-8')
    assert f'Web client : http://127.0.0.1:{port}/#demo' in err
    assert 'Login      : admin' in err
    assert 'Password   : marketplace-demo' in err
    assert (f'Vendor portal : http://127.0.0.1:{port}/demo/marketplace/'
        'vendor/login') in err
    assert 'Vendor login  : atelier-lumiere@example.com' in err
