# This file is part of the marketplace modules for Tryton.
"""Build the demo database of the marketplace modules.

``setup/demo`` runs ``python setup/demo_data.py build``; the tests import this
file (by path) and call :func:`build` on a temporary SQLite file.

The database is a SQLite file: ``<dir>/<name>.sqlite`` with its trytond
configuration ``<dir>/<name>.conf`` beside it.  A file ``<name>.ready`` marks a
finished build: a second build of the same path does nothing, a half-built
database (no marker) is removed and built again.

What it holds (dates are relative to the server's date at the start of the
build, so that the demo is always current; the ``.ready`` file records that
date as ``today``, read back by ``built_on()``): a French company in EUR with
the French chart of accounts, the fiscal years, three vendors, six products,
four customers, five customer sales with discounts whose invoices are posted
and paid (so eight marketplace sales exist), the marketplace configuration,
the sales desk and dashboard data of ``setup/demo_sales.py`` when it exists
and, when the payout module provides its wizard, the previous month billed
with one vendor invoice paid.
``DEMO_EXTRA_MODULES`` (names separated by spaces) activates more modules.
"""
import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DB = os.path.join(ROOT, 'var', 'demo.sqlite')
DEFAULT_PASSWORD = 'marketplace-demo'
ADMIN_EMAIL = 'admin@example.com'

MODULES = [
    'marketplace_sales', 'marketplace_sales_payout',
    'sales_dashboard', 'sales_management',
    'account_fr', 'sale_opportunity', 'sale_subscription',
    'marketplace_vendor_portal',
    ]

# The vendors: name, commission rate, share of discounts they bear.
VENDORS = [
    ("Atelier Lumière", Decimal('0.15'), Decimal('0.5')),
    ("Céramiques du Sud", Decimal('0.125'), Decimal('0')),
    ("Tissages Bretons", Decimal('0.20'), Decimal('1')),
    ]
# The products: name, category, list price, vendor (None: our own), override.
PRODUCTS = [
    ("Lampe de chevet", "Luminaires", Decimal('100.00'),
        "Atelier Lumière", None),
    ("Suspension en rotin", "Luminaires", Decimal('149.00'),
        "Atelier Lumière", Decimal('0.10')),
    ("Bol en grès", "Céramique", Decimal('33.33'),
        "Céramiques du Sud", None),
    ("Vase émaillé", "Céramique", Decimal('58.50'),
        "Céramiques du Sud", None),
    ("Plaid en laine", "Textile", Decimal('89.90'),
        "Tissages Bretons", None),
    ("Emballage cadeau", "Services", Decimal('5.00'), None, None),
    ]
CUSTOMERS = [
    ("Camille Martin", "Lyon"),
    ("Hôtel Belle Vue", "Annecy"),
    ("Lucas Bernard", "Nantes"),
    ("Café des Arts", "Bordeaux"),
    ]
# The customer sales: period ('previous' month or 'current'), day (None:
# today), customer, lines of (product, quantity, discount rate).  Days after
# the 10th and today: setup/demo_sales.py invoices on the 10th of each month
# and today, and a series numbers its customer invoices in date order.
SALES = [
    ('previous', 12, "Camille Martin", [
            ("Lampe de chevet", 2, Decimal('0.10')),
            ("Emballage cadeau", 1, Decimal('0')),
            ]),
    ('previous', 19, "Hôtel Belle Vue", [
            ("Bol en grès", 3, Decimal('0')),
            ("Plaid en laine", 1, Decimal('0.10')),
            ]),
    ('previous', 26, "Lucas Bernard", [
            ("Suspension en rotin", 1, Decimal('0')),
            ("Vase émaillé", 2, Decimal('0.10')),
            ]),
    ('current', None, "Café des Arts", [
            ("Bol en grès", 4, Decimal('0.05')),
            ("Lampe de chevet", 1, Decimal('0')),
            ]),
    ('current', None, "Camille Martin", [
            ("Plaid en laine", 2, Decimal('0')),
            ]),
    ]
# The vendor whose payout invoice of the previous month is paid.
PAID_VENDOR = "Atelier Lumière"
# What the self-billing invoice must print of the company and of each vendor
# (a French legal invoice): street, postal code, city and SIREN; the VAT
# number is computed from the SIREN.
COMPANY_LEGAL = ("12 rue des Artisans", "75011", "Paris", "812345676")
VENDORS_LEGAL = {
    "Atelier Lumière": (
        "5 rue de la Verrerie", "69001", "Lyon", "823456785"),
    "Céramiques du Sud": (
        "14 chemin des Potiers", "13100", "Aix-en-Provence", "834567893"),
    "Tissages Bretons": (
        "2 quai de l'Odet", "29000", "Quimper", "845678903"),
    }


def periods(today=None):
    "Return (first, last) days of the previous month and of the current one"
    today = today or dt.date.today()
    current_start = today.replace(day=1)
    previous_end = current_start - dt.timedelta(days=1)
    previous_start = previous_end.replace(day=1)
    return (previous_start, previous_end), (current_start, today)


def sale_date(period, day, today=None):
    "Return the date of a demo sale: day of the period, never after today"
    (previous_start, previous_end), (current_start, today) = periods(today)
    if period == 'previous':
        return previous_start.replace(day=min(day, previous_end.day))
    if day is None:
        return today
    return min(current_start.replace(day=day), today)


# ---------------------------------------------------------------- files

def paths(db_path=None):
    "Return the file names of the demo database at db_path"
    db_path = os.path.abspath(db_path or os.environ.get('DEMO_DB')
        or DEFAULT_DB)
    if not db_path.endswith('.sqlite'):
        db_path += '.sqlite'
    directory = os.path.dirname(db_path)
    name = os.path.basename(db_path)[:-len('.sqlite')]
    base = os.path.join(directory, name)
    return {
        'db': db_path,
        'dir': directory,
        'base': base,
        'name': name,
        'config': base + '.conf',
        'ready': base + '.ready',
        'passfile': base + '.password',
        'log': base + '.log',
        }


def write_config(db_path=None, port=8000, web_root=None, host='127.0.0.1'):
    "Write the trytond configuration of the demo database and return it"
    p = paths(db_path)
    os.makedirs(p['dir'], exist_ok=True)
    lines = [
        '# Written by setup/demo_data.py: the demo trytond configuration.',
        '[database]',
        'uri = sqlite://',
        f"path = {p['dir']}",
        'language = en',
        '',
        '[web]',
        f'listen = {host}:{port}',
        ]
    if web_root:
        lines.append(f'root = {web_root}')
    lines += [
        '',
        '[session]',
        # The demo admin logs in once; avoid the brute-force delay in tests.
        'max_attempt = 20',
        '',
        '[password]',
        'length = 8',
        '',
        ]
    with open(p['config'], 'w') as fp:
        fp.write('\n'.join(lines))
    return p['config']


def python_bin(name):
    "Return the script name of the venv running this interpreter"
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.path.exists(candidate) else name


def available_modules(modules=MODULES):
    "Return the modules of the list that are installed"
    from importlib.metadata import entry_points
    declared = {ep.name for ep in entry_points().select(
            group='trytond.modules')}
    return [m for m in modules if m in declared
        or importlib.util.find_spec(f'trytond.modules.{m}') is not None]


def create_database(db_path, password, modules=None, log=None):
    """Create the SQLite database with trytond-admin and activate modules

    Runs in a child process: trytond's configuration and pools are global to
    a process, so this never disturbs the caller (a test run for instance).
    """
    p = paths(db_path)
    # DEMO_EXTRA_MODULES: more modules to activate, separated by spaces.
    modules = available_modules((modules or MODULES)
        + os.environ.get('DEMO_EXTRA_MODULES', '').split())
    if not os.path.exists(p['config']):
        write_config(db_path)
    # The SQLite backend opens only an existing file.
    open(p['db'], 'a').close()
    with open(p['passfile'], 'w') as fp:
        fp.write(password + '\n')
    env = dict(os.environ, TRYTONPASSFILE=p['passfile'])
    env.pop('TRYTOND_DATABASE_URI', None)
    env.pop('TRYTOND_DATABASE__URI', None)
    command = [python_bin('trytond-admin'), '-c', p['config'], '-d',
        p['name'], '--email', ADMIN_EMAIL, '--activate-dependencies',
        '-u'] + modules
    with open(log or p['log'], 'a') as out:
        result = subprocess.run(command, env=env, stdout=out,
            stderr=subprocess.STDOUT, timeout=1800)
    if result.returncode:
        raise RuntimeError(
            f"trytond-admin failed (exit {result.returncode}), "
            f"see {log or p['log']}")
    return modules


# ---------------------------------------------------------------- data

def _load_demo_sales():
    "Return create_sales_demo of setup/demo_sales.py or None"
    path = os.path.join(ROOT, 'setup', 'demo_sales.py')
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location('demo_sales', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, 'create_sales_demo', None)


def has_payout_wizard(config):
    from proteus import Model
    Action = Model.get('ir.action.wizard', config=config)
    return bool(Action.find([('wiz_name', '=', 'marketplace.payout')]))


def populate(config, today=None, say=print):
    "Fill the activated database of proteus config with the demo data"
    from proteus import Model
    from trytond.modules.account.tests.tools import create_fiscalyear
    from trytond.modules.account_fr.tests.tools import (
        create_chart, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import create_company, get_company

    if today is None:
        # the server's date, taken once: every demo date derives from it,
        # even when the build runs across midnight
        Date = Model.get('ir.date', config=config)
        today = Date.today(config.context)
    (previous_start, _), _ = periods(today)
    result = {'payout': False, 'today': today.isoformat()}

    say("Company, French chart of accounts, fiscal years")
    Party = Model.get('party.party', config=config)
    company_party = Party(name="Marché des Créateurs SAS")
    address, = company_party.addresses
    address.street = "12 rue des Artisans"
    address.postal_code = "75011"
    address.city = "Paris"
    company_party.save()
    create_company(company_party, 'EUR', config=config)
    company = get_company(config=config)
    create_chart(company, config=config)
    accounts = get_accounts(company, config=config)

    SequenceStrict = Model.get('ir.sequence.strict', config=config)
    for year in sorted({previous_start.year, today.year}):
        fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(
                company, today=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
                config=config), config=config)
        fiscalyear.save()
        fiscalyear.click('create_period')
        # One invoice series a month (2026-10-0001): Tryton numbers the
        # customer invoices of a series in date order, and the sales desk
        # demo (setup/demo_sales.py) invoices every month of the year.
        sequence_type = fiscalyear.invoice_sequences[0] \
            .out_invoice_sequence.sequence_type
        fiscalyear.invoice_sequences.remove(fiscalyear.invoice_sequences[0])
        for period in fiscalyear.periods:
            if period.type != 'standard':
                continue
            month = period.start_date.strftime('%Y-%m')
            sequence = SequenceStrict(name=month, company=company,
                sequence_type=sequence_type, prefix=f'{month}-', padding=4)
            sequence.save()
            line = fiscalyear.invoice_sequences.new(period=period)
            line.out_invoice_sequence = sequence
            line.in_invoice_sequence = sequence
            line.out_credit_note_sequence = sequence
            line.in_credit_note_sequence = sequence
        fiscalyear.save()

    Tax = Model.get('account.tax', config=config)
    ModelData = Model.get('ir.model.data', config=config)

    def tax(xml_id):
        template = ModelData.get_id('account_fr', xml_id, config.context)
        tax, = Tax.find([
                ('template', '=', template), ('company', '=', company.id)])
        return tax
    Account = Model.get('account.account', config=config)
    services_revenue, = Account.find([
            ('code', '=', '706'), ('company', '=', company.id)])

    say("Vendors, products and customers")
    Category = Model.get('product.category', config=config)
    categories = {}
    for name in ["Luminaires", "Céramique", "Textile", "Services"]:
        category = Category(name=name, accounting=True)
        category.account_expense = accounts['expense']
        kind = 'services' if name == "Services" else 'biens'
        category.account_revenue = (services_revenue if kind == 'services'
            else accounts['revenue'])
        category.customer_taxes.append(tax(f'tva_vente_{kind}_taux_normal'))
        category.supplier_taxes.append(tax(f'tva_achat_{kind}_taux_normal'))
        category.save()
        categories[name] = category

    vendors = {}
    for name, rate, support in VENDORS:
        vendor = Party(name=name)
        vendor.marketplace_vendor = True
        vendor.marketplace_commission_rate = rate
        vendor.marketplace_support_rate = support
        vendor.save()
        vendors[name] = vendor
    setup_french_legal_data(config, company_party, vendors, say=say)
    Uom = Model.get('product.uom', config=config)
    unit, = Uom.find([('name', '=', 'Unit')])
    Template = Model.get('product.template', config=config)
    products = {}
    for name, category, price, vendor, rate in PRODUCTS:
        template = Template(name=name, default_uom=unit, type='service')
        template.salable = True
        template.list_price = price
        template.account_category = categories[category]
        if vendor:
            template.marketplace_vendor = vendors[vendor]
            template.marketplace_commission_rate = rate
        template.save()
        products[name], = template.products
    customers = {}
    for name, city in CUSTOMERS:
        customer = Party(name=name)
        address, = customer.addresses
        address.city = city
        customer.save()
        customers[name] = customer

    say("Marketplace configuration")
    commission_template = Template(name="Commission de la place de marché",
        default_uom=unit, type='service')
    commission_template.salable = True
    commission_template.list_price = Decimal(0)
    commission_template.account_category = categories["Services"]
    commission_template.save()
    commission_product, = commission_template.products
    Journal = Model.get('account.journal', config=config)
    payout_journal = Journal(name="Autofacturation vendeurs", code="AUTO",
        type='expense')
    payout_journal.save()
    sequence = SequenceStrict(name="Autofacturation", company=company,
        prefix='AF-', padding=5)
    sequence.sequence_type = Model.get('ir.sequence.type', config=config)(
        ModelData.get_id('marketplace_sales', 'sequence_type_self_billing',
            config.context))
    sequence.save()
    Configuration = Model.get('marketplace.configuration', config=config)
    configuration = Configuration(1)
    configuration.default_commission_rate = Decimal('0.15')
    configuration.commission_product = commission_product
    configuration.payout_journal = payout_journal
    configuration.self_billing_sequence = sequence
    configuration.minimum_payout = Decimal('20.00')
    configuration.save()

    PaymentMethod = Model.get(
        'account.invoice.payment.method', config=config)
    journal_cash, = Journal.find([('code', '=', 'CASH')])
    bank, = Account.find([
            ('code', '=', '5121'), ('company', '=', company.id)])
    payment_method = PaymentMethod(name="Virement", journal=journal_cash,
        credit_account=bank, debit_account=bank)
    payment_method.save()

    # First: its invoices are dated from January on, ours after them.
    demo_sales = _load_demo_sales()
    if demo_sales:
        say("Sales desk and dashboard demo (setup/demo_sales.py)")
        demo_sales(config, company, today)

    say("Customer sales, invoices posted and paid")
    Sale = Model.get('sale.sale', config=config)
    for period, day, customer, lines in SALES:
        date = sale_date(period, day, today)
        sale = Sale(party=customers[customer], invoice_method='order')
        sale.sale_date = date
        for product, quantity, discount in lines:
            line = sale.lines.new()
            line.product = products[product]
            line.quantity = quantity
            if discount:
                line.discount_rate = discount
        sale.click('quote')
        sale.click('confirm')
        invoice, = sale.invoices
        invoice.invoice_date = date
        invoice.save()
        invoice.click('post')
        pay_invoice(invoice, payment_method, date=date, config=config)

    # The demo opens on the menu, not on the module configuration wizard.
    ConfigItem = Model.get('ir.module.config_wizard.item', config=config)
    items = ConfigItem.find([('state', '!=', 'done')])
    for item in items:
        item.state = 'done'
    ConfigItem.save(items)

    if has_payout_wizard(config):
        say("Payout of the previous month, one vendor invoice paid")
        try:
            bill_previous_month(config, vendors[PAID_VENDOR],
                payment_method, today)
        except Exception as exception:
            # The demo stays usable while the payout module is unfinished;
            # tests/test_demo.py reports the error recorded here.
            say(f"WARNING: the payout step failed: {exception}")
            result['payout_error'] = str(exception)
        else:
            result['payout'] = True
    else:
        say("No marketplace.payout wizard yet: no vendor billed")
    return result


def french_vat_number(siren):
    "The intra-EU VAT number of a French SIREN (key = (12 + 3 × SIREN) % 97)"
    return 'FR%02d%s' % ((12 + 3 * (int(siren) % 97)) % 97, siren)


def setup_french_legal_data(config, company_party, vendors, say=print):
    """French language with French dates for the company and the vendors,
    and the addresses, SIREN and VAT numbers the Autofacturation prints"""
    from proteus import Model
    say("French language, addresses, SIREN and VAT numbers")
    Lang = Model.get('ir.lang', config=config)
    fr, = Lang.find([('code', '=', 'fr')])
    fr.date = '%d/%m/%Y'
    fr.save()
    if not fr.translatable:
        fr.click('load_translations')
    Country = Model.get('country.country', config=config)
    france = Country.find([('code', '=', 'FR')])
    if france:
        france, = france
    else:
        france = Country(name="France", code='FR', code3='FRA')
        france.save()
    PaymentTerm = Model.get('account.invoice.payment_term', config=config)
    term = PaymentTerm(name="30 jours fin de mois")
    line = term.lines.new(type='remainder')
    line.relativedeltas.new(days=30)
    line.relativedeltas[0].day = 31
    term.save()

    Party = Model.get('party.party', config=config)
    parties = [(Party(company_party.id), COMPANY_LEGAL)] + [
        (Party(vendors[name].id), legal)
        for name, legal in VENDORS_LEGAL.items() if name in vendors]
    for party, (street, postal_code, city, siren) in parties:
        address = party.addresses[0] if party.addresses \
            else party.addresses.new()
        address.street = street
        address.postal_code = postal_code
        address.city = city
        address.country = france
        party.identifiers.new(type='fr_siren', code=siren)
        party.identifiers.new(type='eu_vat', code=french_vat_number(siren))
        party.lang = fr
        if party.id != company_party.id:
            party.supplier_payment_term = term
        party.save()


def demo_lang():
    "The language of the demo's admin and company: DEMO_LANG, French unless en"
    return 'en' if os.environ.get('DEMO_LANG', 'fr').lower().startswith(
        'en') else 'fr'


def set_user_language(config, code, say=print):
    """Give the admin user and the company party the language code; set last
    so that every record of the build is written in the source language"""
    from proteus import Model
    say(f"Admin user and company in {code!r} (DEMO_LANG)")
    Lang = Model.get('ir.lang', config=config)
    User = Model.get('res.user', config=config)
    Company = Model.get('company.company', config=config)
    lang, = Lang.find([('code', '=', code)])
    if not lang.translatable:
        lang.click('load_translations')
    for company in Company.find([]):
        company.party.lang = lang
        company.party.save()
    admin, = User.find([('login', '=', 'admin')])
    admin.language = lang
    admin.save()
    return code


def portal_email(vendor_name):
    "The demo e-mail of a vendor's web user: atelier-lumiere@example.com"
    import unicodedata
    ascii_name = unicodedata.normalize('NFKD', vendor_name).encode(
        'ascii', 'ignore').decode()
    slug = '-'.join(''.join(
            c if c.isalnum() else ' ' for c in ascii_name.lower()).split())
    return f'{slug}@example.com'


def create_vendor_web_users(config, password, say=print):
    """Give each demo vendor a web user of the vendor portal (its e-mail
    from portal_email, the demo password) and load the French translations
    the portal pages use; return the e-mails by vendor name"""
    from proteus import Model
    Party = Model.get('party.party', config=config)
    WebUser = Model.get('web.user', config=config)
    Lang = Model.get('ir.lang', config=config)
    say("Vendor portal: a web user per vendor, French translations")
    french, = Lang.find([('code', '=', 'fr')])
    if not french.translatable:
        french.click('load_translations')
    emails = {}
    for vendor in Party.find([('marketplace_vendor', '=', True)],
            order=[('name', 'ASC')]):
        email = portal_email(vendor.name)
        if not WebUser.find([('email', '=', email)]):
            user = WebUser(email=email, party=vendor, email_valid=True)
            user.password = password
            user.save()
        emails[vendor.name] = email
    return emails


def bill_previous_month(config, paid_vendor, payment_method, today):
    "Bill the previous month to the vendors and pay paid_vendor's invoice"
    from proteus import Model, Wizard
    (previous_start, previous_end), _ = periods(today)
    payout = Wizard('marketplace.payout', config=config)
    payout.form.from_date = previous_start
    payout.form.to_date = previous_end
    payout.execute('preview')
    payout.execute('bill')
    Invoice = Model.get('account.invoice', config=config)
    vendor_invoice, = Invoice.find([
            ('type', '=', 'in'),
            ('party', '=', paid_vendor.id),
            ('state', '=', 'posted'),
            ])
    pay_invoice(vendor_invoice, payment_method,
        date=min(today, previous_end + dt.timedelta(days=5)), config=config)


def pay_invoice(invoice, payment_method, date=None, config=None):
    "Pay the whole amount to pay of invoice with the payment method"
    from proteus import Wizard
    pay = Wizard('account.invoice.pay', [invoice], config=config)
    if date is not None:
        pay.form.date = date
    pay.form.payment_method = payment_method
    pay.execute('choice')
    invoice.reload()
    return invoice


def build(db_path=None, password=None, today=None, say=None, force=False):
    """Build the demo database at db_path unless it is already built

    Returns True when it was built, False when it already existed.
    """
    p = paths(db_path)
    password = password or os.environ.get('DEMO_PASSWORD') or DEFAULT_PASSWORD
    say = say or (lambda msg: print(f'==> {msg}', file=sys.stderr))
    if os.path.exists(p['ready']) and os.path.exists(p['db']) and not force:
        return False
    for key in ['db', 'ready', 'log']:
        if os.path.exists(p[key]):
            os.remove(p[key])
    if not os.path.exists(p['config']):
        write_config(p['db'])
    # The build runs in a child process so that trytond's global
    # configuration and pools never leak into the caller.
    command = [sys.executable, os.path.abspath(__file__), '_build',
        '--db', p['db'], '--password', password]
    if today:
        command += ['--today', today.isoformat()]
    env = dict(os.environ)
    env.pop('TRYTOND_DATABASE_URI', None)
    env.pop('TRYTOND_DATABASE__URI', None)
    env.pop('DB_NAME', None)
    env.pop('DB_CACHE', None)
    result = subprocess.run(command, env=env, timeout=2400)
    if result.returncode:
        raise RuntimeError(
            f"building the demo database failed (exit {result.returncode});"
            f" trytond-admin log: {p['log']}")
    return True


def _build(db_path, password, today=None):
    "Child process of build()"
    p = paths(db_path)
    say = (lambda msg: print(f'==> {msg}', file=sys.stderr))
    say(f"Creating {p['db']} and activating the modules (a few minutes)")
    modules = create_database(p['db'], password)
    say("Activated: " + ', '.join(modules))
    from proteus import config as pconfig
    config = pconfig.set_trytond(
        database=p['name'], config_file=p['config'])
    result = populate(config, today=today, say=say)
    if 'marketplace_vendor_portal' in modules:
        result['portal_users'] = create_vendor_web_users(
            config, password, say=say)
    result['lang'] = set_user_language(config, demo_lang(), say=say)
    with open(p['ready'], 'w') as fp:
        json.dump({
                **result,
                'built': dt.datetime.now().isoformat(timespec='seconds'),
                'modules': modules,
                }, fp)
        fp.write('\n')


# ---------------------------------------------------------------- server

def free_port(host='127.0.0.1'):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_http(url, timeout=120, process=None):
    "Wait until url answers (any HTTP status) or raise TimeoutError"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"the server stopped with exit {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def start_server(db_path=None, port=None, web_root=None, log=None,
        timeout=120):
    """Start trytond on 127.0.0.1:port for the demo database

    Returns (process, base_url).  The caller stops it with stop_server.
    """
    p = paths(db_path)
    port = port or free_port()
    config = write_config(p['db'], port=port, web_root=web_root)
    env = dict(os.environ)
    for name in ['TRYTOND_DATABASE_URI', 'TRYTOND_DATABASE__URI', 'DB_NAME',
            'DB_CACHE']:
        env.pop(name, None)
    out = open(log, 'ab') if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [python_bin('trytond'), '-c', config, '-d', p['name']],
        env=env, stdout=out, stderr=subprocess.STDOUT,
        start_new_session=True)
    url = f'http://127.0.0.1:{port}/'
    try:
        wait_http(url, timeout=timeout, process=process)
    except Exception:
        stop_server(process)
        raise
    return process, url


def stop_server(process, timeout=20):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


# ---------------------------------------------------------------- tests

def cached_copy(dest_dir, source=None):
    """Return the path of a fresh copy of a built demo database in dest_dir

    The demo is built once at source (default: $DB_CACHE/demo/demo.sqlite
    when DB_CACHE is set, as setup/test does per run, else in dest_dir) and
    copied, so that several tests share one build and never change it.
    """
    import fcntl
    if source is None:
        cache_dir = (os.path.join(os.environ['DB_CACHE'], 'demo')
            if os.environ.get('DB_CACHE') else os.path.join(dest_dir, 'cache'))
        source = os.path.join(cache_dir, 'demo.sqlite')
    source = paths(source)
    os.makedirs(source['dir'], exist_ok=True)
    with open(source['base'] + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            build(source['db'])
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    target = paths(os.path.join(dest_dir, 'demo.sqlite'))
    os.makedirs(target['dir'], exist_ok=True)
    for key in ['db', 'ready', 'passfile']:
        shutil.copyfile(source[key], target[key])
    write_config(target['db'])
    return target['db']


def built_on(db_path=None):
    """Return the date the demo database at db_path was built for (its
    "today": the current month and the previous one derive from it)"""
    with open(paths(db_path)['ready']) as fp:
        return dt.date.fromisoformat(json.load(fp)['today'])


def portal_login(db_path=None):
    "The e-mail of the first demo vendor's web user, from the build record"
    try:
        with open(paths(db_path)['ready']) as fp:
            users = json.load(fp).get('portal_users') or {}
    except (OSError, ValueError):
        users = {}
    if not users:
        return "none: rebuild the demo with DEMO_REBUILD=1"
    return users[sorted(users)[0]]


def password_of(db_path=None):
    "Return the admin password the demo database was built with"
    try:
        with open(paths(db_path)['passfile']) as fp:
            return fp.read().strip()
    except OSError:
        return os.environ.get('DEMO_PASSWORD') or DEFAULT_PASSWORD


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    build_parser = sub.add_parser('build', help="build the demo database")
    build_parser.add_argument('--db', default=None,
        help="the SQLite file (default: $DEMO_DB or var/demo.sqlite)")
    build_parser.add_argument('--password', default=None)
    build_parser.add_argument('--force', action='store_true',
        help="rebuild even if it exists")
    child = sub.add_parser('_build')
    child.add_argument('--db', required=True)
    child.add_argument('--password', required=True)
    child.add_argument('--today', default=None)
    config_parser = sub.add_parser('config',
        help="write the trytond configuration and print its path")
    config_parser.add_argument('--db', default=None)
    config_parser.add_argument('--port', type=int, default=8000)
    config_parser.add_argument('--web-root', default=None)
    populate_parser = sub.add_parser('populate',
        help="fill an initialised database of any backend (setup/serve: "
        "PostgreSQL) with the demo data and print what was done as JSON")
    populate_parser.add_argument('--database', required=True)
    populate_parser.add_argument('--config', required=True,
        help="the trytond configuration file of that database")
    portal_parser = sub.add_parser('portal-login',
        help="print the e-mail of one demo vendor's portal login")
    portal_parser.add_argument('--db', default=None)
    sub.add_parser('modules',
        help="print the modules the demo activates (those installed)")
    args = parser.parse_args(argv)
    if args.command == 'portal-login':
        print(portal_login(args.db))
    elif args.command == 'populate':
        from proteus import config as pconfig
        config = pconfig.set_trytond(
            database=args.database, config_file=args.config)
        result = populate(config,
            say=lambda msg: print(f'==> {msg}', file=sys.stderr))
        print(json.dumps(result))
    elif args.command == 'modules':
        print(' '.join(available_modules(MODULES + os.environ.get(
                        'DEMO_EXTRA_MODULES', '').split())))
    elif args.command == 'build':
        if build(args.db, args.password, force=args.force):
            print("built", paths(args.db)['db'])
        else:
            print("reused", paths(args.db)['db'])
    elif args.command == '_build':
        today = (dt.date.fromisoformat(args.today) if args.today else None)
        _build(args.db, args.password, today)
    elif args.command == 'config':
        print(write_config(args.db, port=args.port, web_root=args.web_root))


if __name__ == '__main__':
    main()
