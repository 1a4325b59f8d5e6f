# This file is part of the marketplace modules for Tryton.
"""The HTML pages of the vendor portal.

Pages are built from constant templates; every value put into them goes
through esc() unless it is already Html (built here), so a text typed by a
vendor, a customer or a product manager can never become markup."""
import html

from trytond.i18n import gettext

CSS = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f6f6f4}
header{background:#24425c;color:#fff;padding:.5em 1em;display:flex;
flex-wrap:wrap;gap:.5em 1.2em;align-items:center}
header a,header button{color:#fff;font-size:1em}
header form{margin:0}
header button{background:none;border:1px solid #fff;border-radius:4px;
padding:.2em .6em;cursor:pointer}
header .lang{margin-left:auto}
main{padding:1em;max-width:72em;margin:auto}
h1{font-size:1.4em}
.box{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1em;
margin-bottom:1em}
form.filter{display:flex;flex-wrap:wrap;gap:.6em;align-items:end}
form.filter label{display:flex;flex-direction:column;font-size:.9em}
input,select,button{font-size:1em;padding:.3em}
.totals{display:flex;flex-wrap:wrap;gap:1.5em}
.totals b{display:block;font-size:1.2em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:.4em .6em;border-bottom:1px solid #e4e4e4;text-align:left;
white-space:nowrap}
td.num,th.num{text-align:right}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6em;
border-radius:4px}
.pages{display:flex;gap:1em;margin-top:1em}
form.login{display:flex;flex-direction:column;gap:.7em;max-width:22em}
"""

SECURITY_HEADERS = {
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    }


class Html(str):
    "A string of markup: esc() leaves it as it is"
    __slots__ = ()


def esc(value):
    if isinstance(value, Html):
        return value
    if value is None:
        value = ''
    return Html(html.escape(str(value), quote=True))


def fmt(template, **values):
    "The template with its {names} replaced by the escaped values"
    return Html(template.format(**{k: esc(v) for k, v in values.items()}))


def join(parts, sep=''):
    return Html(esc(sep).join(esc(p) for p in parts))


def _(name, **variables):
    "The portal message name in the transaction language"
    return gettext(
        'marketplace_vendor_portal.msg_portal_%s' % name, **variables)


def layout(page, title, body):
    """The whole page: title, navigation of a logged-in vendor (page.vendor
    is set) and body"""
    if page.vendor is not None:
        nav = fmt(
            '<a href="{sales}">{sales_label}</a>'
            '<a href="{invoices}">{invoices_label}</a>'
            '<a href="{products}">{products_label}</a>'
            '<span>{vendor}</span>'
            '<form method="post" action="{logout}">'
            '<input type="hidden" name="csrf_token" value="{csrf}">'
            '<button type="submit" id="logout">{logout_label}</button>'
            '</form>',
            sales=page.url('sales'), sales_label=_('nav_sales'),
            invoices=page.url('invoices'), invoices_label=_('nav_invoices'),
            products=page.url('products'), products_label=_('nav_products'),
            vendor=page.vendor.rec_name, logout=page.url('logout'),
            csrf=page.csrf_token, logout_label=_('log_out'))
    else:
        nav = fmt('<span>{name}</span>', name=_('portal'))
    languages = join([
            fmt('<a href="{url}" hreflang="{code}" id="lang-{code}">'
                '{label}</a>',
                url=page.self_url(lang=code), code=code, label=label)
            if code != page.language else fmt('<b>{label}</b>', label=label)
            for code, label in [('en', 'English'), ('fr', 'Français')]],
        ' | ')
    return fmt(
        '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, '
        'initial-scale=1"><title>{title} - {portal}</title>'
        '<style>{css}</style></head><body><header>{nav}'
        '<span class="lang">{languages}</span></header>'
        '<main><h1>{title}</h1>{body}</main></body></html>',
        lang=page.language, title=title, portal=_('portal'),
        css=Html(CSS), nav=nav, languages=languages, body=body)


def login_body(page, error=None, email=''):
    return fmt(
        '{error}<form method="post" class="login box" action="{action}">'
        '<input type="hidden" name="csrf_token" value="{csrf}">'
        '<label>{email_label}<br><input type="email" name="email" '
        'value="{email}" autocomplete="username" required></label>'
        '<label>{password_label}<br><input type="password" name="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit" id="login">{submit}</button></form>',
        error=fmt('<p class="error" role="alert">{e}</p>', e=error)
        if error else '',
        action=page.url('login'), csrf=page.csrf_token,
        email_label=_('email'), email=email,
        password_label=_('password'), submit=_('log_in'))


def _table(headers, rows, numeric=()):
    head = join(
        fmt('<th class="num">{h}</th>', h=h) if i in numeric
        else fmt('<th>{h}</th>', h=h)
        for i, h in enumerate(headers))
    body = join(
        fmt('<tr>{cells}</tr>', cells=join(
                fmt('<td class="num">{c}</td>', c=c) if i in numeric
                else fmt('<td>{c}</td>', c=c)
                for i, c in enumerate(row)))
        for row in rows)
    return fmt(
        '<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        '<tbody>{body}</tbody></table></div>', head=head, body=body)


def _pages(page, current, count, args):
    pages = max(1, -(-count // page.page_size))
    links = []
    if current > 1:
        links.append(fmt('<a href="{url}" rel="prev">{label}</a>',
                url=page.url(page.name, **dict(args, page=str(current - 1))),
                label=_('previous')))
    links.append(fmt('<span>{label}</span>',
            label=_('page', page=current, pages=pages)))
    if current < pages:
        links.append(fmt('<a href="{url}" rel="next">{label}</a>',
                url=page.url(page.name, **dict(args, page=str(current + 1))),
                label=_('next')))
    return fmt('<nav class="pages">{links}</nav>', links=join(links))


def sales_body(page, filter_, states, totals, rows, show_customers):
    args = filter_.args(page='1')
    state_options = join(
        [fmt('<option value="">{label}</option>', label=_('all_states'))]
        + [fmt('<option value="{value}"{selected}>{label}</option>',
                value=value, label=label,
                selected=Html(' selected') if value == filter_.state else '')
            for value, label in states])
    form = fmt(
        '<form method="get" class="filter box" action="{action}">'
        '<label>{from_label}<input type="date" name="from" value="{from_}">'
        '</label><label>{to_label}<input type="date" name="to" value="{to}">'
        '</label><label>{state_label}<select name="state">{options}</select>'
        '</label><button type="submit" id="filter">{submit}</button>'
        '<a href="{csv}" id="csv">{csv_label}</a></form>',
        action=page.url('sales'), from_label=_('from'),
        from_=args.get('from', ''), to_label=_('to'), to=args.get('to', ''),
        state_label=_('state'), options=state_options, submit=_('filter'),
        csv=page.url('sales.csv', **{
                k: v for k, v in args.items() if k != 'page'}),
        csv_label=_('download_csv'))
    count, net, commission, payout = totals
    summary = fmt(
        '<div class="totals box" id="totals">'
        '<span>{count_label}<b id="total-count">{count}</b></span>'
        '<span>{net_label}<b id="total-net">{net}</b></span>'
        '<span>{commission_label}<b id="total-commission">{commission}</b>'
        '</span><span>{payout_label}<b id="total-payout">{payout}</b></span>'
        '</div>',
        count_label=_('sales_count'), count=count,
        net_label=_('net'), net=page.amount(net),
        commission_label=_('commission'),
        commission=page.amount(commission),
        payout_label=_('payout'), payout=page.amount(payout))
    headers = [_('date'), _('customer_invoice')]
    if show_customers:
        headers.append(_('customer'))
    headers += [_('product'), _('quantity'), _('net'), _('commission'),
        _('payout'), _('state'), _('vendor_invoice')]
    numeric = {len(headers) - 6, len(headers) - 5, len(headers) - 4,
        len(headers) - 3}
    if rows:
        table = _table(headers, rows, numeric)
    else:
        table = fmt('<p class="box">{label}</p>', label=_('no_sales'))
    return join([form, summary, table,
            _pages(page, filter_.page, count, args)])


def invoices_body(page, rows, current, count):
    headers = [_('number'), _('invoice_date'), _('period'), _('untaxed'),
        _('total'), _('state'), _('document')]
    if rows:
        table = _table(headers, rows, {3, 4})
    else:
        table = fmt('<p class="box">{label}</p>', label=_('no_invoices'))
    return join([table, _pages(page, current, count, {})])


def products_body(page, support_rate, rows):
    intro = fmt('<p class="box">{label}</p>',
        label=_('support_rate', rate=page.rate(support_rate)))
    headers = [_('product'), _('code'), _('list_price'),
        _('commission_rate')]
    if rows:
        table = _table(headers, rows, {2, 3})
    else:
        table = fmt('<p class="box">{label}</p>', label=_('no_products'))
    return join([intro, table])


def message_body(text):
    return fmt('<p class="error" role="alert">{text}</p>', text=text)
