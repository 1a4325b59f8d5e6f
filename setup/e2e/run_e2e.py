# This file is part of the marketplace modules for Tryton.
"""Browser walk through the demo: start trytond, drive sao with chromium.

Run through ``setup/e2e/run`` (which installs the web client, chromium and
playwright-core first).  It works on a copy of the demo database (built
when missing) so that the demo itself is never changed, starts trytond on a
free port of 127.0.0.1 serving the web client, runs ``demo_e2e.js`` and
stops the server.  Prints the JSON result of the walk; exit status 0 when it
succeeded.
"""
import os
import sys
import xmlrpc.client

import walk


def set_language(url, code):
    """Make code the admin's language (DEMO_LANG may have built the demo in
    another) and return its date format"""
    server = xmlrpc.client.ServerProxy(url, allow_none=True)
    context = server.model.res.user.get_preferences(True, {})
    server.model.res.user.set_preferences({'language': code}, context)
    lang, = server.model.ir.lang.search_read(
        [('code', '=', code)], 0, 1, None, ['date'], context)
    return lang['date']


def features(url):
    "Return which optional parts the running demo has"
    server = xmlrpc.client.ServerProxy(url, allow_none=True)
    context = server.model.res.user.get_preferences(True, {})
    payout = bool(server.model.ir.action.wizard.search(
            [('wiz_name', '=', 'marketplace.payout')], 0, 1, None, context))
    try:
        dashboard = bool(server.model.ir.model.data.get_id(
                'sales_dashboard', 'act_sales_dashboard', context))
    except xmlrpc.client.Fault:
        dashboard = False
    # The menu entries the walk clicks, as the server names them.
    menus = {}
    for key, module, xml_id in [
            ('MENU_FINANCIAL', 'account', 'menu_account'),
            ('MENU_MARKETPLACE', 'marketplace_sales', 'menu_marketplace'),
            ('MENU_SALES', 'marketplace_sales', 'menu_marketplace_sale'),
            ('MENU_PAYOUT', 'marketplace_sales_payout',
                'menu_marketplace_payout'),
            ]:
        try:
            menu_id = server.model.ir.model.data.get_id(
                module, xml_id, context)
        except xmlrpc.client.Fault:
            continue
        menu, = server.model.ir.ui.menu.read([menu_id], ['name'], context)
        menus[key] = menu['name']
    found_desk = desk(server, context)
    menus.update(found_desk.pop('menus'))
    to_bill = server.model.marketplace.sale.search(
        [('state', '=', 'to_invoice')], 0, None, None, context)
    return {'payout': payout, 'dashboard': dashboard, 'to_bill': to_bill,
        'menus': menus, 'desk': found_desk}


def desk(server, context):
    """The menus of the sales desk walk and a posted customer invoice to
    record a payment on (none when the demo has no sales_management)"""
    menus = {}
    for key, module, xml_id in [
            ('MENU_SALE', 'sale', 'menu_sale'),
            ('MENU_SALES_DASHBOARD', 'sales_dashboard',
                'menu_sales_dashboard'),
            ('MENU_DEPOSITS', 'sales_management', 'menu_cheque_deposit_form'),
            ]:
        try:
            menu_id = server.model.ir.model.data.get_id(
                module, xml_id, context)
        except xmlrpc.client.Fault:
            return {'menus': {}, 'invoice': None}
        menu, = server.model.ir.ui.menu.read([menu_id], ['name'], context)
        menus[key] = menu['name']
    invoices = server.model.account.invoice.search([
            ('type', '=', 'out'),
            ('state', '=', 'posted'),
            ], 0, 1, [('id', 'DESC')], context)
    return {'menus': menus, 'invoice': invoices[0] if invoices else None}


def main(argv=None):
    parser = walk.parser(__doc__.splitlines()[0])
    parser.add_argument('--web-root', default=os.path.join(
            os.environ.get('SAO_DIR') or os.path.join(
                walk.ROOT, 'var', 'sao'), 'package'))
    args = parser.parse_args(argv)

    def prepare(demo, db, base_url):
        password = demo.password_of(db)
        name = demo.paths(db)['name']
        rpc = base_url.replace('http://', f'http://admin:{password}@') \
            + f'{name}/rpc/'
        # The demo's French, unless E2E_LANG says otherwise
        date_format = set_language(rpc, os.environ.get('E2E_LANG', 'fr'))
        found = features(rpc)
        env = dict(DATABASE=name, LOGIN='admin', PASSWORD=password,
            DATE_FORMAT=date_format, **found['menus'])
        if found['payout'] and found['to_bill']:
            # Bill the current month (the demo billed the previous one).
            _, (start, today) = demo.periods()
            env.update(PAYOUT='1', PAYOUT_FROM=start.isoformat(),
                PAYOUT_TO=today.isoformat())
        if found['dashboard']:
            env['DASHBOARD'] = '1'
        if found['desk']['invoice']:
            env.update(DESK='1', DESK_INVOICE=str(found['desk']['invoice']))

        def complete(result):
            result['features'] = {
                'payout': found['payout'], 'dashboard': found['dashboard'],
                'desk': bool(found['desk']['invoice'])}
            # What the walk changed: the sales left to bill after it.
            result['to_bill_before'] = len(found['to_bill'])
            result['to_bill_after'] = len(features(rpc)['to_bill'])
        return env, complete

    return walk.run(args, 'demo_e2e.js', prepare, web_root=args.web_root)


if __name__ == '__main__':
    sys.exit(main())
