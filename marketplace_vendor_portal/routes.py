# This file is part of the marketplace modules for Tryton.
"""The vendor portal: the pages a vendor's web user reads in a browser.

The transaction runs as the root user, so that no ERP access right is ever
given to a vendor; what a vendor sees is decided here and in portal.py only:
every query is built from the party of the web user's session, the request
gives nothing but the filter values and an invoice id, and an invoice that
is not the session vendor's answers the same 404 as one that does not
exist."""
import csv
import functools
import hmac
import io
import secrets
import urllib.parse
from decimal import Decimal
from hashlib import sha256
from http import HTTPStatus

from trytond.exceptions import RateLimitException
from trytond.protocols.wrappers import (
    Response, redirect, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import templates
from .portal import (
    CSV_FIELDS, MAX_PAGE, PAGE_SIZE, SALE_STATES, SaleFilter, VendorPortal)
from .templates import _, fmt

SESSION_COOKIE = 'marketplace_vendor_session'
LOGIN_CSRF_COOKIE = 'marketplace_vendor_login'
LANGUAGE_COOKIE = 'marketplace_vendor_lang'
LANGUAGES = ('en', 'fr')
NOT_FOUND = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>404</title>'
    '</head><body><h1>404 Not Found</h1></body></html>')
BASE = '/<database_name>/marketplace/vendor'


class Page:
    "What a portal page needs to know about its request"
    page_size = PAGE_SIZE

    def __init__(self, request, pool, name):
        self.request = request
        self.pool = pool
        self.name = name
        self.web_user = None
        self.vendor = None
        self.session_key = None
        self.language = 'en'
        self.set_language = None
        self._currencies = {}

    @property
    def activated(self):
        "The module is activated on the database of the request"
        try:
            Configuration = self.pool.get('marketplace.configuration')
        except KeyError:
            return False
        return 'portal_shows_customers' in Configuration._fields

    def load_session(self):
        "Find the web user of the session cookie; return its vendor or None"
        WebUser = self.pool.get('web.user')
        key = self.request.cookies.get(SESSION_COOKIE)
        if key:
            user = WebUser.get_user(key)
            if user is not None and user.marketplace_vendor:
                self.web_user = user
                self.vendor = user.marketplace_vendor
                self.session_key = key
        self.choose_language()
        return self.vendor

    def choose_language(self):
        """The language asked in the query string (kept in a cookie), else
        the vendor party's language, else the browser's, else English"""
        asked = self.request.args.get('lang')
        if asked in LANGUAGES:
            self.language = self.set_language = asked
            return
        cookie = self.request.cookies.get(LANGUAGE_COOKIE)
        if cookie in LANGUAGES:
            self.language = cookie
            return
        if self.vendor is not None and self.vendor.lang:
            code = self.vendor.lang.code.split('_')[0]
            if code in LANGUAGES:
                self.language = code
                return
        self.language = (
            self.request.accept_languages.best_match(LANGUAGES) or 'en')

    @property
    def base(self):
        return '%s/%s/marketplace/vendor' % (
            self.request.script_root, urllib.parse.quote(
                self.pool.database_name))

    def url(self, name, **args):
        url = '%s/%s' % (self.base, name)
        if args:
            url += '?' + urllib.parse.urlencode(args)
        return url

    def self_url(self, **changes):
        args = {k: v for k, v in self.request.args.items() if k != 'lang'}
        args.update(changes)
        return self.url(self.name, **args)

    @property
    def csrf_token(self):
        "The token that every form of the page carries"
        if self.session_key:
            return hmac.new(self.session_key.encode(),
                b'marketplace-vendor-portal-csrf', sha256).hexdigest()
        return self.login_token

    @property
    def login_token(self):
        """The login form's token: a random value also set in a cookie (a
        page of another site can neither read it nor set it)"""
        if not hasattr(self, '_login_token'):
            self._login_token = (
                self.request.cookies.get(LOGIN_CSRF_COOKIE)
                or secrets.token_urlsafe(32))
        return self._login_token

    def check_csrf(self):
        sent = self.request.form.get('csrf_token', '')
        if self.session_key:
            expected = self.csrf_token
        else:
            expected = self.request.cookies.get(LOGIN_CSRF_COOKIE, '')
        return bool(sent and expected) and hmac.compare_digest(
            sent.encode(), expected.encode())

    @property
    def company_id(self):
        "The company of the marketplace (prices and rates depend on it)"
        Company = self.pool.get('company.company')
        companies = Company.search([], order=[('id', 'ASC')], limit=1)
        return companies[0].id if companies else None

    @functools.cached_property
    def lang(self):
        Lang = self.pool.get('ir.lang')
        return Lang.get(self.language)

    def currency(self, currency_id):
        if currency_id not in self._currencies:
            Currency = self.pool.get('currency.currency')
            self._currencies[currency_id] = Currency(currency_id)
        return self._currencies[currency_id]

    @functools.cached_property
    def company_currency(self):
        Company = self.pool.get('company.company')
        companies = Company.search([], order=[('id', 'ASC')], limit=1)
        return companies[0].currency if companies else None

    def amount(self, value, currency=None):
        if currency is None:
            currency = self.company_currency
        if currency is None:
            return self.lang.format_number(value, 2)
        return self.lang.currency(value, currency, grouping=True)

    def rate(self, value):
        if value is None:
            return ''
        return '%s %%' % self.lang.format_number(
            Decimal(value) * 100, 2, grouping=True)

    def date(self, value):
        return self.lang.strftime(value) if value else ''

    def html(self, title, body, status=HTTPStatus.OK):
        response = Response(
            templates.layout(self, title, body), status=status,
            content_type='text/html; charset=utf-8')
        return self.finish(response)

    def finish(self, response):
        "Add the security headers and the cookies of the page"
        for name, value in templates.SECURITY_HEADERS.items():
            response.headers[name] = value
        if self.set_language:
            self.set_cookie(response, LANGUAGE_COOKIE, self.set_language,
                max_age=365 * 24 * 60 * 60)
        return response

    def set_cookie(self, response, name, value, **kwargs):
        response.set_cookie(
            name, value, path=self.base + '/', httponly=True,
            samesite='Lax', secure=self.request.scheme == 'https', **kwargs)

    def delete_cookie(self, response, name):
        response.delete_cookie(
            name, path=self.base + '/', httponly=True, samesite='Lax',
            secure=self.request.scheme == 'https')

    def to_login(self):
        return self.finish(redirect(self.url('login'), HTTPStatus.SEE_OTHER))

    def unauthorized(self):
        return self.finish(Response(
                'Unauthorized', status=HTTPStatus.UNAUTHORIZED,
                content_type='text/plain; charset=utf-8'))

    def not_found(self):
        return self.finish(Response(
                NOT_FOUND, status=HTTPStatus.NOT_FOUND,
                content_type='text/html; charset=utf-8'))

    def refused(self):
        "A POST without its form's token"
        return self.html(_('refused_title'), templates.message_body(
                _('csrf_refused')), status=HTTPStatus.FORBIDDEN)


def portal_page(name, readonly=True):
    """Decorate a route: the function gets a Page with the session loaded
    in the vendor's language; databases without the module answer 404"""
    def decorator(func):
        @with_pool
        @with_transaction(readonly=readonly)
        def wrapper(request, pool, **kwargs):
            page = Page(request, pool, name)
            if not page.activated:
                return page.not_found()
            page.load_session()
            with Transaction().set_context(
                    language=page.language, company=page.company_id):
                return func(page, **kwargs)
        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        return wrapper
    return decorator


@app.route(BASE + '/login', methods={'GET', 'POST'})
@portal_page('login', readonly=False)
def login(page):
    "The login form; its POST opens a session of a vendor's web user"
    request = page.request
    if request.method == 'GET':
        if page.vendor is not None:
            return page.finish(redirect(page.url('sales'),
                    HTTPStatus.SEE_OTHER))
        return login_form(page)
    if not page.check_csrf():
        return page.refused()
    WebUser = page.pool.get('web.user')
    email = request.form.get('email', '').strip()[:254]
    password = request.form.get('password', '')[:1024]
    user = None
    if email and password:
        try:
            user = WebUser.authenticate(email, password)
        except RateLimitException:
            return login_form(page, _('login_throttled'), email,
                status=HTTPStatus.TOO_MANY_REQUESTS)
    if user is None or not user.marketplace_vendor:
        return login_form(page, _('login_failed'), email)
    key = user.new_session()
    response = redirect(page.url('sales'), HTTPStatus.SEE_OTHER)
    page.set_cookie(response, SESSION_COOKIE, key)
    page.delete_cookie(response, LOGIN_CSRF_COOKIE)
    return page.finish(response)


def login_form(page, error=None, email='', status=HTTPStatus.OK):
    response = page.html(
        _('login_title'), templates.login_body(page, error, email),
        status=status)
    page.set_cookie(response, LOGIN_CSRF_COOKIE, page.login_token)
    return response


@app.route(BASE + '/logout', methods={'POST'})
@portal_page('logout', readonly=False)
def logout(page):
    "End the session on the server, whatever the browser keeps"
    if page.session_key is None:
        return page.to_login()
    if not page.check_csrf():
        return page.refused()
    Session = page.pool.get('web.user.session')
    Session.remove(page.session_key)
    response = redirect(page.url('login'), HTTPStatus.SEE_OTHER)
    page.delete_cookie(response, SESSION_COOKIE)
    return page.finish(response)


def _sale_filter(page):
    try:
        return SaleFilter.from_args(page.request.args)
    except (ValueError, OverflowError):
        return None


def _bad_filter(page):
    return page.html(_('sales_title'), templates.message_body(
            _('bad_filter')), status=HTTPStatus.BAD_REQUEST)


def _show_customers(page):
    Configuration = page.pool.get('marketplace.configuration')
    return bool(Configuration(1).portal_shows_customers)


def _state_labels(page, model, field):
    Model = page.pool.get(model)
    return dict(Model.fields_get([field])[field]['selection'])


@app.route(BASE + '/sales', methods={'GET'})
@portal_page('sales')
def sales(page):
    "The vendor's sales of the filter, a page at a time, with totals"
    if page.vendor is None:
        return page.to_login()
    filter_ = _sale_filter(page)
    if filter_ is None:
        return _bad_filter(page)
    portal = VendorPortal(page.vendor)
    totals = portal.sale_totals(filter_)
    states = _state_labels(page, 'marketplace.sale', 'state')
    show_customers = _show_customers(page)
    sales = list(portal.sales(filter_,
            offset=(filter_.page - 1) * PAGE_SIZE, limit=PAGE_SIZE))
    products = portal.names(
        'product.product', [s['product'] for s in sales])
    customers = portal.names(
        'party.party', [s['customer'] for s in sales]
        ) if show_customers else {}
    rows = []
    for sale in sales:
        currency = page.currency(sale['currency'])
        row = [page.date(sale['date']),
            fmt('{number} ({date})', number=sale['invoice'] or '',
                date=page.date(sale['invoice_date']))]
        if show_customers:
            row.append(customers.get(sale['customer'], ''))
        row += [
            products.get(sale['product'], sale['description'] or ''),
            page.lang.format_number(sale['quantity']),
            page.amount(sale['net_amount'], currency),
            page.amount(sale['commission_amount'], currency),
            page.amount(sale['payout_amount'], currency),
            states.get(sale['state'], sale['state']),
            sale['vendor_invoice'] or '',
            ]
        rows.append(row)
    body = templates.sales_body(
        page, filter_, [(s, states[s]) for s in SALE_STATES], totals, rows,
        show_customers)
    return page.html(_('sales_title'), body)


def _csv_text(value):
    "A text cell that a spreadsheet will not run as a formula"
    value = '' if value is None else str(value)
    if value[:1] in ('=', '+', '-', '@', '\t', '\r'):
        value = "'" + value
    return value


@app.route(BASE + '/sales.csv', methods={'GET'})
@portal_page('sales.csv')
def sales_csv(page):
    "The same sales as the page, every row, as CSV (UTF-8)"
    if page.vendor is None:
        return page.unauthorized()
    filter_ = _sale_filter(page)
    if filter_ is None:
        return _bad_filter(page)
    portal = VendorPortal(page.vendor)
    show_customers = _show_customers(page)
    rows = list(portal.sales(filter_))
    products = portal.names('product.product', [r['product'] for r in rows])
    units = portal.names('product.uom', [r['unit'] for r in rows], 'name')
    customers = portal.names(
        'party.party', [r['customer'] for r in rows]
        ) if show_customers else {}
    fields = list(CSV_FIELDS)
    if show_customers:
        fields.insert(3, 'customer')
    output = io.StringIO()
    writer = csv.writer(output, lineterminator='\r\n')
    writer.writerow(fields)
    for row in rows:
        values = dict(row)
        values['product'] = _csv_text(products.get(row['product']))
        values['description'] = _csv_text(row['description'])
        values['unit'] = _csv_text(units.get(row['unit']))
        values['invoice'] = _csv_text(row['invoice'])
        values['vendor_invoice'] = _csv_text(row['vendor_invoice'])
        values['customer'] = _csv_text(customers.get(row['customer']))
        values['date'] = row['date'].isoformat() if row['date'] else ''
        values['invoice_date'] = (
            row['invoice_date'].isoformat() if row['invoice_date'] else '')
        writer.writerow([values[f] for f in fields])
    response = Response(output.getvalue().encode('utf-8'),
        content_type='text/csv; charset=utf-8')
    response.headers['Content-Disposition'] = (
        'attachment; filename="sales.csv"')
    return page.finish(response)


def _page_number(page):
    try:
        number = int(page.request.args.get('page', '1') or 1)
    except ValueError:
        return None
    return number if 1 <= number <= MAX_PAGE else None


@app.route(BASE + '/invoices', methods={'GET'})
@portal_page('invoices')
def invoices(page):
    "The vendor's self-billed invoices, newest first"
    if page.vendor is None:
        return page.to_login()
    current = _page_number(page)
    if current is None:
        return _bad_filter(page)
    portal = VendorPortal(page.vendor)
    count = portal.invoice_count()
    states = _state_labels(page, 'account.invoice', 'state')
    rows = []
    for invoice in portal.invoices(
            offset=(current - 1) * PAGE_SIZE, limit=PAGE_SIZE):
        first, last = invoice['period']
        rows.append([
                invoice['number'] or '',
                page.date(invoice['date']),
                fmt('{first} – {last}', first=page.date(first),
                    last=page.date(last)) if first else '',
                page.amount(invoice['untaxed'], invoice['currency']),
                page.amount(invoice['total'], invoice['currency']),
                states.get(invoice['state'], invoice['state']),
                fmt('<a href="{url}" class="pdf">{label}</a>',
                    url=page.url('invoices/%d.pdf' % invoice['invoice'].id),
                    label=_('pdf')),
                ])
    body = templates.invoices_body(page, rows, current, count)
    return page.html(_('invoices_title'), body)


@app.route(BASE + '/invoices/<int:invoice_id>.pdf', methods={'GET'})
@portal_page('invoice.pdf')
def invoice_pdf(page, invoice_id):
    "The Autofacturation document of one of the vendor's invoices"
    if page.vendor is None:
        return page.unauthorized()
    portal = VendorPortal(page.vendor)
    invoice = portal.invoice(invoice_id)
    if invoice is None:
        return page.not_found()
    Report = page.pool.get('marketplace.payout.report', type='report')
    with Transaction().set_context(
            company=invoice.company.id, language=page.language):
        extension, content, _print, name = Report.execute(
            [invoice.id], {
                'model': 'account.invoice', 'id': invoice.id,
                'ids': [invoice.id], 'action_id': None,
                })
    if isinstance(content, str):
        content = content.encode('utf-8')
    response = Response(bytes(content), content_type=(
            'application/pdf' if extension == 'pdf'
            else 'application/octet-stream'))
    response.headers['Content-Disposition'] = (
        'attachment; filename="%s.%s"' % (
            ''.join(c for c in (invoice.number or 'invoice')
                if c.isalnum() or c in '-_') or 'invoice', extension))
    return page.finish(response)


@app.route(BASE + '/products', methods={'GET'})
@portal_page('products')
def products(page):
    "The vendor's products with the commission rate of each"
    if page.vendor is None:
        return page.to_login()
    portal = VendorPortal(page.vendor)
    rows = [[
            product['name'], product['code'],
            page.amount(product['list_price']),
            page.rate(product['commission_rate']),
            ] for product in portal.products()]
    body = templates.products_body(page, portal.support_rate, rows)
    return page.html(_('products_title'), body)
