# This file is part of the marketplace modules for Tryton.
"""Browser walk through the demo: start trytond, drive sao with chromium.

Run through ``setup/e2e/run`` (which installs the web client, chromium and
playwright-core first).  It works on a copy of the demo database (built
when missing) so that the demo itself is never changed, starts trytond on a
free port of 127.0.0.1 serving the web client, runs ``demo_e2e.js`` and
stops the server.  Prints the JSON result of the walk; exit status 0 when it
succeeded.
"""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_demo_data():
    spec = importlib.util.spec_from_file_location(
        'demo_data', os.path.join(ROOT, 'setup', 'demo_data.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def set_language(url, code):
    "Make code the admin's language (the demo is built French)"
    server = xmlrpc.client.ServerProxy(url, allow_none=True)
    context = server.model.res.user.get_preferences(True, {})
    server.model.res.user.set_preferences({'language': code}, context)


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--source', default=os.environ.get('DEMO_DB'),
        help="the demo database to copy (built when missing; default "
        "var/demo.sqlite)")
    parser.add_argument('--db', default=None,
        help="use this database as is instead of a copy (it is changed)")
    parser.add_argument('--shots', default=os.path.join(
            ROOT, 'doc', 'screenshots'), help="folder of the screenshots")
    parser.add_argument('--web-root', default=os.path.join(
            os.environ.get('SAO_DIR') or os.path.join(ROOT, 'var', 'sao'),
            'package'))
    parser.add_argument('--node-path', default=os.path.join(
            os.environ.get('E2E_NODE_DIR') or os.path.join(
                ROOT, 'var', 'e2e'), 'node_modules'))
    parser.add_argument('--json', default=None,
        help="also write the result to this file")
    parser.add_argument('--timeout', type=int, default=300,
        help="seconds allowed to the browser walk")
    args = parser.parse_args(argv)

    demo = load_demo_data()
    workdir = tempfile.mkdtemp(prefix='marketplace-e2e-')
    process = None
    try:
        if args.db:
            db = args.db
        else:
            db = demo.cached_copy(workdir,
                source=args.source or demo.DEFAULT_DB)
        password = demo.password_of(db)
        name = demo.paths(db)['name']
        log = os.path.join(workdir, 'trytond.log')
        process, base_url = demo.start_server(
            db, web_root=args.web_root, log=log, timeout=120)
        rpc = base_url.replace('http://', f'http://admin:{password}@') \
            + f'{name}/rpc/'
        # The demo is French; the walk reads English labels and amounts
        # unless E2E_LANG says otherwise.
        set_language(rpc, os.environ.get('E2E_LANG', 'en'))
        found = features(rpc)
        env = dict(os.environ, NODE_PATH=args.node_path, BASE_URL=base_url,
            DATABASE=name, LOGIN='admin', PASSWORD=password,
            SHOTS=os.path.abspath(args.shots), **found['menus'])
        if found['payout'] and found['to_bill']:
            # Bill the current month (the demo billed the previous one).
            _, (start, today) = demo.periods()
            env.update(PAYOUT='1', PAYOUT_FROM=start.isoformat(),
                PAYOUT_TO=today.isoformat())
        if found['dashboard']:
            env['DASHBOARD'] = '1'
        if found['desk']['invoice']:
            env.update(DESK='1', DESK_INVOICE=str(found['desk']['invoice']))
        os.makedirs(args.shots, exist_ok=True)
        walk = subprocess.run(
            ['node', os.path.join(HERE, 'demo_e2e.js')], env=env,
            stdout=subprocess.PIPE, timeout=args.timeout)
        lines = walk.stdout.decode('utf-8').strip().splitlines()
        result = json.loads(lines[-1]) if lines else {
            'error': 'the browser walk printed nothing'}
        result['features'] = {
            'payout': found['payout'], 'dashboard': found['dashboard'],
            'desk': bool(found['desk']['invoice'])}
        # What the walk changed: the sales left to bill after it.
        result['to_bill_before'] = len(found['to_bill'])
        result['to_bill_after'] = len(features(rpc)['to_bill'])
        result['exit'] = walk.returncode
        if walk.returncode:
            with open(log, errors='replace') as fp:
                result['server_log_tail'] = fp.read()[-3000:]
    finally:
        if process is not None:
            demo.stop_server(process)
        if not os.environ.get('E2E_KEEP'):
            shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(result, indent=1, ensure_ascii=False)
    if args.json:
        with open(args.json, 'w') as fp:
            fp.write(text + '\n')
    print(text)
    return 0 if result.get('exit') == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
