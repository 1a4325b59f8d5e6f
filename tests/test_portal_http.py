# This file is part of the marketplace modules for Tryton.
"""The vendor portal attacked over plain HTTP (issue #26).

A real trytond serves the test database (PostgreSQL) or a file copy of it
(SQLite) with a low ``[session] max_attempt``; the tests speak HTTP with
``http.client`` only, keep cookies by hand and never follow redirects:
- every page without a session: 303 to the login form (CSV and PDF: 401);
- another vendor's invoice ids, customer invoice ids and made-up ids: 404,
  all with the same body;
- filters that try to name another vendor, a domain or SQL: ignored or 400;
- a session after logout, a POST without CSRF token, repeated wrong
  passwords (throttled, then even the right one), a customer's web user:
  refused;
- vendor, product and customer texts escaped; customers' names hidden
  unless the configuration shows them;
- nothing changed in the database by all of it (sessions and login
  attempts aside).
"""
import csv
import datetime as dt
import http.client
import http.cookies
import io
import os
import re
import urllib.parse
from decimal import Decimal

import pytest

ON_POSTGRESQL = os.environ.get(
    'TRYTOND_DATABASE_URI', '').startswith('postgresql')
PASSWORD = 'Portal-Test-Pass-8'
XSS = '<script>alert(1)</script>'
CUSTOMER_NAME = 'Zoé <i>Secret</i> Buyer'
# Written by logging in and out, whatever the outcome
SESSION_TABLES = ('web_user_session', 'web_user_authenticate_attempt')
CSV_HEADER = [
    'date', 'invoice', 'invoice_date', 'product', 'description', 'quantity',
    'unit', 'base_price', 'unit_price', 'gross_amount', 'discount_rate',
    'discount_amount', 'net_amount', 'vendor_support_rate',
    'vendor_support_amount', 'commission_rate', 'commission_amount',
    'tax_rate', 'payout_amount', 'vendor_invoice', 'state',
    ]


class Attempts:
    count = 0


@pytest.fixture(scope='module')
def data(build_marketplace_db):
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    from trytond.tests.test_tryton import drop_db

    data = build_marketplace_db('marketplace_vendor_portal')
    category, sell = data['category'], data['sell']
    customer = data['customer']
    customer.name = CUSTOMER_NAME
    customer.save()
    alice = create_vendor("Alice", Decimal('0.15'), Decimal('0.5'))
    bob = create_vendor("Bob", Decimal('0.125'))
    chair = create_vendor_product("Chair", Decimal('100'), alice, category)
    script = create_vendor_product(XSS, Decimal('10'), alice, category)
    lamp = create_vendor_product("Lamp", Decimal('33.33'), bob, category)
    sell([(chair, 2, Decimal('100')), (lamp, 3, Decimal('33.33'))])
    sell([(chair, 1, Decimal('100')), (lamp, 1, Decimal('33.33'))])
    data['payout']()
    sell([(chair, 1, Decimal('100')), (script, 1, Decimal('10')),
            (lamp, 2, Decimal('33.33'))])

    Party = Model.get('party.party')
    stranger = Party(name="Customer With Login")
    stranger.save()
    WebUser = Model.get('web.user')
    for email, party in [
            ('alice@example.com', alice), ('bob@example.com', bob),
            ('alice.throttle@example.com', alice),
            ('customer@example.com', stranger)]:
        user = WebUser(email=email, party=party)
        user.password = PASSWORD
        user.save()

    # French pages need the French translations loaded
    Lang = Model.get('ir.lang')
    french, = Lang.find([('code', '=', 'fr')])
    french.click('load_translations')

    data['admin_password'](PASSWORD)

    Invoice = Model.get('account.invoice')
    data.update({
            'alice': alice, 'bob': bob,
            'vendor_invoices': {
                v.id: [i for i in Invoice.find([
                            ('type', '=', 'in'), ('party', '=', v.id)])]
                for v in [alice, bob]},
            'customer_invoices': [
                i.id for i in Invoice.find([('type', '=', 'out')])],
            })
    assert all(len(v) == 1 for v in data['vendor_invoices'].values())
    yield data
    drop_db()


@pytest.fixture(scope='module')
def server(data, live_trytond):
    return live_trytond(session_config="max_attempt = 2\n")


@pytest.fixture(scope='module')
def server_snapshot(server, snapshot):
    "Return the snapshot of the database the server runs on"
    def server_snapshot():
        if ON_POSTGRESQL:
            return snapshot()
        from trytond import config
        path = config.get('database', 'path')
        config.set('database', 'path', str(server.directory))
        try:
            return snapshot(server.database)
        finally:
            config.set('database', 'path', path)
    return server_snapshot


@pytest.fixture(scope='module')
def before(server_snapshot):
    return server_snapshot()


def differences(before, after):
    "What changed but the web sessions and login attempts"
    changes = []
    for key in ('rows', 'digests', 'totals'):
        for name in before[key].keys() | after[key].keys():
            if name.startswith(SESSION_TABLES):
                continue
            if before[key].get(name) != after[key].get(name):
                changes.append((key, name, before[key].get(name),
                        after[key].get(name)))
    return changes


class Client:
    "A browser without JavaScript: plain HTTP, cookies kept by hand"

    def __init__(self, server):
        self.server = server
        self.cookies = {}
        self.base = f'/{server.database}/marketplace/vendor'

    def request(self, method, path, form=None, cookies=None, headers=None):
        Attempts.count += 1
        connection = http.client.HTTPConnection(
            '127.0.0.1', self.server.port, timeout=120)
        headers = dict(headers or {})
        cookies = self.cookies if cookies is None else cookies
        if cookies:
            headers['Cookie'] = '; '.join(
                f'{k}={v}' for k, v in cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        url = path if path.startswith('/') else f'{self.base}/{path}'
        url = urllib.parse.quote(url, safe='/?=&')
        connection.request(method, url, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all('Set-Cookie') or []:
            cookie = http.cookies.SimpleCookie(header)
            for name, morsel in cookie.items():
                if morsel['max-age'] == '0' or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        connection.close()
        return response, content

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def text(self, path, **kwargs):
        response, content = self.get(path, **kwargs)
        assert response.status == 200, (path, response.status, content[:500])
        return content.decode('utf-8')

    def csrf(self, html):
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def login(self, email, password=PASSWORD, csrf=True):
        page = self.text('login')
        form = {'email': email, 'password': password}
        if csrf:
            form['csrf_token'] = self.csrf(page)
        return self.request('POST', 'login', form=form)


def logged_in(server, email):
    client = Client(server)
    response, _ = client.login(email)
    assert response.status == 303, response.status
    assert response.headers['Location'].endswith(
        f'/{server.database}/marketplace/vendor/sales')
    assert 'marketplace_vendor_session' in client.cookies
    return client


def element(html, id_):
    return re.search(r'id="%s">([^<]*)<' % id_, html).group(1)


def test_login_sets_safe_cookie(data, server, before):
    client = Client(server)
    response, content = client.get('login')
    assert response.status == 200
    assert 'frame-ancestors' in response.headers['Content-Security-Policy']
    response, _ = client.login('alice@example.com')
    assert response.status == 303
    session_header, = [h for h in response.headers.get_all('Set-Cookie')
        if h.startswith('marketplace_vendor_session=')]
    assert 'HttpOnly' in session_header, session_header
    assert 'SameSite=Lax' in session_header, session_header
    assert f'Path=/{server.database}/marketplace/vendor/' in session_header
    assert 'Secure' not in session_header  # plain HTTP here


def test_pages_without_session(data, server):
    client = Client(server)
    invoice = data['vendor_invoices'][data['alice'].id][0].id
    for path in ['sales', 'sales?state=paid', 'invoices', 'products']:
        response, _ = client.get(path)
        assert response.status == 303, path
        assert response.headers['Location'].endswith(
            '/marketplace/vendor/login'), path
    for path in ['sales.csv', f'invoices/{invoice}.pdf']:
        response, content = client.get(path)
        assert (response.status, content) == (401, b'Unauthorized'), path
    # a made-up session key is no session
    for path in ['sales', 'invoices', 'products']:
        response, _ = client.get(
            path, cookies={'marketplace_vendor_session': 'f' * 64})
        assert response.status == 303, path
    response, _ = client.get(
        'sales.csv', cookies={'marketplace_vendor_session': 'f' * 64})
    assert response.status == 401


def test_sales_totals_and_filters(data, server):
    "Alice's own sales only, with totals computed by hand"
    client = logged_in(server, 'alice@example.com')
    # the server's date when the sales were made, not the clock's now
    today = data['built_on']
    cases = [
        # chair 2 x 100 and 1 x 100 billed; chair 1 x 100, script 1 x 10
        # to invoice; 15 % commission
        ('sales', '4', '410.00', '61.50', '348.50'),
        ('sales?state=to_invoice', '2', '110.00', '16.50', '93.50'),
        ('sales?state=awaiting_payment', '2', '300.00', '45.00', '255.00'),
        ('sales?state=paid', '0', '0.00', '0.00', '0.00'),
        (f'sales?from={today + dt.timedelta(days=1)}', '0', '0.00', '0.00',
            '0.00'),
        (f'sales?from={today - dt.timedelta(days=40)}&to={today}', '4',
            '410.00', '61.50', '348.50'),
        ]
    for path, count, net, commission, payout in cases:
        html = client.text(path)
        assert element(html, 'total-count') == count, path
        assert net in element(html, 'total-net'), path
        assert commission in element(html, 'total-commission'), path
        assert payout in element(html, 'total-payout'), path
    html = client.text('sales')
    assert 'Chair' in html and 'Lamp' not in html
    assert html.count('<tr>') == 1 + 4
    # Bob's sales are never reached by naming him
    bob = data['bob'].id
    for path in [f'sales?vendor={bob}', f'sales?vendor_id={bob}',
            "sales?domain=[('vendor','=',%d)]" % bob,
            'sales?model=marketplace.sale&fields=vendor']:
        assert element(client.text(path), 'total-count') == '4', path
    # what is not a date, a state or a page is refused
    for path in ["sales?from=2020-01-01' OR '1'='1", 'sales?state=cancelled',
            'sales?page=0', 'sales?page=x', 'sales?page=%d' % 10 ** 20,
            'sales.csv?to=tomorrow', 'invoices?page=-1',
            'invoices?page=%d' % 10 ** 20]:
        response, content = client.get(path)
        assert response.status == 400, path
        assert b'Lamp' not in content


def test_sales_csv(data, server):
    client = logged_in(server, 'alice@example.com')
    response, content = client.get('sales.csv?state=to_invoice')
    assert response.status == 200
    assert response.headers['Content-Type'] == 'text/csv; charset=utf-8'
    rows = list(csv.reader(io.StringIO(content.decode('utf-8'))))
    assert rows[0] == CSV_HEADER
    lines = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert sorted((r['product'], Decimal(r['net_amount']),
                Decimal(r['commission_amount']), Decimal(r['payout_amount']),
                r['state']) for r in lines) == [
        (XSS, Decimal('10.00'), Decimal('1.50'), Decimal('8.50'),
            'to_invoice'),
        ('Chair', Decimal('100.00'), Decimal('15.00'), Decimal('85.00'),
            'to_invoice'),
        ]
    response, content = client.get('sales.csv')
    rows = list(csv.reader(io.StringIO(content.decode('utf-8'))))
    assert len(rows) == 1 + 4
    assert sum(Decimal(r[CSV_HEADER.index('payout_amount')])
        for r in rows[1:]) == Decimal('348.50')
    assert 'Secret' not in content.decode('utf-8')


def test_invoices_and_pdf(data, server):
    alice, bob = data['alice'].id, data['bob'].id
    own, = data['vendor_invoices'][alice]
    other, = data['vendor_invoices'][bob]
    client = logged_in(server, 'alice@example.com')
    html = client.text('invoices')
    assert own.number in html and other.number not in html
    assert f'invoices/{own.id}.pdf' in html
    response, content = client.get(f'invoices/{own.id}.pdf')
    assert response.status == 200, content[:300]
    assert response.headers['Content-Type'] == 'application/pdf'
    assert content.startswith(b'%PDF')

    bodies = set()
    for invoice_id in [other.id] + data['customer_invoices'] + [
            0, 999999, 2 ** 31 - 1, 2 ** 40]:
        response, content = client.get(f'invoices/{invoice_id}.pdf')
        assert response.status == 404, invoice_id
        bodies.add(content)
    assert len(bodies) == 1, bodies
    # Bob gets the same 404 for Alice's invoice
    response, content = logged_in(server, 'bob@example.com').get(
        f'invoices/{own.id}.pdf')
    assert (response.status, content) == (404, bodies.pop())


def test_texts_escaped_customers_hidden(data, server):
    client = logged_in(server, 'alice@example.com')
    for path in ['sales', 'products']:
        html = client.text(path)
        assert XSS not in html, path
        assert '&lt;script&gt;alert(1)&lt;/script&gt;' in html, path
        assert 'Secret' not in html, path
    # an e-mail typed in the login form comes back escaped
    client = Client(server)
    page = client.text('login')
    response, content = client.request('POST', 'login', form={
            'email': '"><script>alert(2)</script>', 'password': 'x',
            'csrf_token': client.csrf(page)})
    assert response.status == 200
    assert b'<script>alert(2)' not in content
    assert b'&quot;&gt;&lt;script&gt;alert(2)' in content


def test_products_rates(data, server):
    html = logged_in(server, 'alice@example.com').text('products')
    assert re.search(r'<td>Chair</td>.*?<td class="num">15\.00 %</td>',
        html), html
    assert 'Lamp' not in html
    assert '50.00 %' in html  # her share of discounts


def test_csrf_and_logout(data, server):
    client = logged_in(server, 'alice@example.com')
    html = client.text('sales')
    # without or with a wrong token: refused, still logged in
    for form in [{}, {'csrf_token': 'x' * 64}]:
        response, _ = client.request('POST', 'logout', form=form)
        assert response.status == 403, form
        assert client.text('sales')
    # a login POST without the token is refused even with the password
    other = Client(server)
    response, _ = other.request('POST', 'login', form={
            'email': 'alice@example.com', 'password': PASSWORD})
    assert response.status == 403
    assert 'marketplace_vendor_session' not in other.cookies
    response, _ = other.login('alice@example.com', csrf=False)
    assert response.status == 403

    stolen = dict(client.cookies)
    response, _ = client.request('POST', 'logout', form={
            'csrf_token': client.csrf(html)})
    assert response.status == 303
    assert response.headers['Location'].endswith('/login')
    assert 'marketplace_vendor_session' not in client.cookies
    # the old cookie, replayed, is refused: the session ended on the server
    response, _ = client.get('sales', cookies=stolen)
    assert response.status == 303
    response, _ = client.get('sales.csv', cookies=stolen)
    assert response.status == 401


def test_failed_logins(data, server):
    "One generic answer: wrong password, unknown e-mail, customer's login"
    client = Client(server)
    for email, password in [
            ('alice@example.com', 'wrong-password'),
            ('nobody@example.com', PASSWORD),
            # a customer's web user is no vendor
            ('customer@example.com', PASSWORD)]:
        response, content = client.login(email, password)
        assert response.status == 200, email
        assert b'Wrong e-mail or password.' in content, email
        assert 'marketplace_vendor_session' not in client.cookies


def test_throttled(data, server):
    "max_attempt = 2: the third failure is the last one answered"
    if ON_POSTGRESQL and os.environ.get('FAKETIME'):
        # Tryton counts the attempts dated by PostgreSQL's clock since a
        # time of Python's: setup/test-at shifts only Python's
        pytest.skip("the login throttle compares PostgreSQL's clock with "
            "Python's, which setup/test-at shifts alone")
    client = Client(server)
    statuses = []
    for _ in range(4):
        response, _ = client.login('alice.throttle@example.com', 'wrong')
        statuses.append(response.status)
    assert statuses == [200, 200, 200, 429]
    response, content = client.login('alice.throttle@example.com')
    assert response.status == 429
    assert b'Too many failed attempts' in content
    assert 'marketplace_vendor_session' not in client.cookies


def test_french(data, server):
    client = logged_in(server, 'bob@example.com')
    html = client.text('sales?lang=fr')
    assert '<html lang="fr">' in html
    assert 'Mes ventes' in html and 'Télécharger en CSV' in html
    # the choice stays
    assert 'Mes autofactures' in client.text('invoices')
    assert 'My self-billed invoices' in client.text('invoices?lang=en')


def test_nothing_changed(data, server, before, server_snapshot):
    after = server_snapshot()
    changes = differences(before, after)
    assert not changes, changes
    assert before['totals'] == after['totals']
    print("portal HTTP attempts:", Attempts.count)


def test_customers_shown_when_configured(data, server):
    "Last: it changes the configuration"
    rpc = server.xmlrpc('admin', PASSWORD)
    Configuration = getattr(rpc.model, 'marketplace.configuration')
    client = logged_in(server, 'alice@example.com')
    assert 'Secret' not in client.text('sales')
    Configuration.write([1], {'portal_shows_customers': True}, {})
    html = client.text('sales')
    assert 'Zoé &lt;i&gt;Secret&lt;/i&gt; Buyer' in html
    response, content = client.get('sales.csv')
    assert CUSTOMER_NAME in content.decode('utf-8')
