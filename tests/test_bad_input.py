# This file is part of the marketplace modules for Tryton.
"""Bad input on the marketplace ledger and payouts (issue #8, part 1).

Every case sends what a user (through the client or RPC) could send, asserts
the exact message the user gets, and that the database is left exactly as it
was: same rows in every table, same content of the money and numbering
tables, same money totals (see ``db_snapshot`` in conftest.py).  Cases where
the right answer is to accept the input assert the amounts computed by hand.

The data is built once for the module on the cached
``marketplace_sales_payout`` database (the one of the payout scenario).
"""
import datetime as dt
from decimal import Decimal

import pytest

from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessError, DigitsValidationError, ForeignKeyError, SQLConstraintError)

RATE_HELP = (
    "it must be between 0 % and 100 %. Enter a percentage from 0 to 100.")


@pytest.fixture(scope='module')
def data(build_marketplace_db, fresh_database):
    with fresh_database():
        yield build_data(build_marketplace_db)


def build_data(build_marketplace_db):
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product, pay_invoice)

    data = build_marketplace_db()
    category, sell = data['category'], data['sell']
    alice = create_vendor("Alice", Decimal('0.15'), Decimal('0.5'))
    bob = create_vendor("Bob", Decimal('0.125'))
    chair = create_vendor_product("Chair", Decimal('100'), alice, category)
    table = create_vendor_product("Table", Decimal('250'), alice, category)
    lamp = create_vendor_product("Lamp", Decimal('33.33'), bob, category)
    Invoice = Model.get('account.invoice')

    sell([(chair, 2, Decimal('100')), (lamp, 3, Decimal('33.33'))])
    sell([(table, 1, Decimal('250')), (lamp, 1, Decimal('33.33'))])
    # Bob billed and paid; then sold again and billed (awaiting payment)
    data['payout'](vendors=[bob])
    bob_paid, = Invoice.find([('type', '=', 'in')])
    pay_invoice(bob_paid, data['method'])
    sell([(lamp, 2, Decimal('33.33'))])
    data['payout'](vendors=[bob])
    bob_posted, = Invoice.find([('type', '=', 'in'), ('state', '=', 'posted')])

    Sale = Model.get('marketplace.sale')
    data.update({
        'alice': alice, 'bob': bob,
        'chair': chair, 'table': table, 'lamp': lamp,
        'bob_paid': bob_paid, 'bob_posted': bob_posted,
        'sale_of': lambda state, vendor: Sale.find([
                ('state', '=', state), ('vendor', '=', vendor.id)],
            order=[('id', 'ASC')])[0],
        })
    return data


def ctx():
    from proteus import config
    return config.get_config().context


def Model_(name):
    from proteus import Model
    return Model.get(name)


# Rates ------------------------------------------------------------------

@pytest.mark.parametrize('field, value, shown', [
        ('marketplace_commission_rate', Decimal('1.5'), '150'),
        ('marketplace_commission_rate', Decimal('-0.1'), '-10'),
        ('marketplace_commission_rate', Decimal('1.0001'), '100.01'),
        ('marketplace_support_rate', Decimal('2'), '200'),
        ('marketplace_support_rate', Decimal('-1'), '-100'),
        ])
def test_party_rate_out_of_range(data, unchanged, field, value, shown):
    Party = Model_('party.party')
    string = {
        'marketplace_commission_rate': "Commission Rate",
        'marketplace_support_rate': "Discount Support Rate",
        }[field]
    unchanged.refused(UserError,
        f'The {string} of "Alice" is {shown} %: {RATE_HELP}',
        Party._proxy.write, [data['alice'].id], {field: value}, ctx())


def test_rate_non_numeric_through_rpc(data, unchanged):
    "A rate sent as text by an RPC client is refused, not stored"
    Party = Model_('party.party')
    with unchanged():
        with pytest.raises(Exception) as info:
            Party._proxy.write([data['alice'].id],
                {'marketplace_commission_rate': 'fifteen'}, ctx())
    assert 'fifteen' in str(info.value) or info.type.__name__ in {
        'InvalidOperation', 'ConversionSyntax'}, repr(info.value)


def test_rate_too_many_digits(data, unchanged):
    Party = Model_('party.party')
    unchanged.refused(DigitsValidationError,
        'The number of digits in the value "\'0.12345\'" for field '
        '"Commission Rate" in record "Alice" of "Party" exceeds the limit '
        'of "(None, 4)".',
        Party._proxy.write, [data['alice'].id],
        {'marketplace_commission_rate': Decimal('0.12345')}, ctx())


def test_template_rate_out_of_range(data, unchanged):
    Template = Model_('product.template')
    unchanged.refused(UserError,
        f'The Marketplace Commission Rate of "Chair" is 101 %: {RATE_HELP}',
        Template._proxy.write, [data['chair'].template.id],
        {'marketplace_commission_rate': Decimal('1.01')}, ctx())


def test_configuration_rate_out_of_range(data, unchanged):
    Configuration = Model_('marketplace.configuration')
    unchanged.refused(UserError,
        'The Default Commission Rate of "Marketplace Configuration" is '
        f'-50 %: {RATE_HELP}',
        Configuration._proxy.write, [1],
        {'default_commission_rate': Decimal('-0.5')}, ctx())


def test_configuration_negative_minimum(data, unchanged):
    Configuration = Model_('marketplace.configuration')
    unchanged.refused(UserError,
        "The minimum payout must be zero or positive.",
        Configuration._proxy.write, [1], {'minimum_payout': Decimal('-1')}, ctx())


def test_sale_rate_out_of_range(data, unchanged):
    Sale = Model_('marketplace.sale')
    sale = data['sale_of']('to_invoice', data['alice'])
    unchanged.refused(UserError,
        f'The Commission Rate of "{sale.rec_name}" is 120 %: {RATE_HELP}',
        Sale._proxy.write, [sale.id], {'commission_rate': Decimal('1.2')}, ctx())


# Vendors and products ------------------------------------------------------

def test_product_vendor_not_flagged(data, unchanged):
    Template = Model_('product.template')
    unchanged.refused(UserError,
        'The party "Customer" is set as vendor of product "Chair" but is '
        'not a marketplace vendor. Tick "Marketplace Vendor" on the party '
        'first.',
        Template._proxy.write, [data['chair'].template.id],
        {'marketplace_vendor': data['customer'].id}, ctx())


def test_unflag_vendor_with_products(data, unchanged):
    Party = Model_('party.party')
    unchanged.refused(UserError,
        'The party "Alice" is still the vendor of products (Chair, Table). '
        'Remove it from these products before unticking '
        '"Marketplace Vendor".',
        Party._proxy.write, [data['alice'].id], {'marketplace_vendor': False}, ctx())


def test_delete_vendor_with_sales(data, unchanged):
    "A vendor in use cannot be deleted (its invoices, products and sales)"
    Party = Model_('party.party')
    unchanged.refused(ForeignKeyError,
        'The records could not be deleted because they are used by field '
        '"Invoice Address" of "Account Invoice".',
        Party._proxy.delete, [data['bob'].id], ctx())


def test_delete_product_with_sales(data, unchanged):
    Product = Model_('product.product')
    unchanged.refused(ForeignKeyError,
        'The records could not be deleted because they are used by field '
        '"Product" of "Account Invoice Line".',
        Product._proxy.delete, [data['lamp'].id], ctx())


def test_missing_commission_rate(data, unchanged):
    "No rate on product, vendor nor configuration: the invoice stays draft"
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    carol = create_vendor("Carol", None)
    vase = create_vendor_product("Vase", Decimal('20'), carol, data['category'])
    invoice = data['invoice_of']([(vase, 1, Decimal('20'))], post=False)
    unchanged.refused(UserError,
        'No commission rate is defined for product "Vase" of vendor '
        f'"Carol" (invoice "({invoice.id})"). Set a rate on the product, on the vendor or '
        'a default rate in the marketplace configuration.',
        invoice.click, 'post')
    invoice.reload()
    assert invoice.state == 'draft'


def test_archived_product_still_billed(data, unchanged):
    """An archived product keeps its sales: they are billed with it (input
    accepted, amounts by hand)"""
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    erin = create_vendor("Erin", Decimal('0.2'))
    stool = create_vendor_product(
        "Stool", Decimal('40'), erin, data['category'])
    data['sell']([(stool, 3, Decimal('40'))])
    template = stool.template
    template.active = False
    template.save()
    data['payout'](vendors=[erin])
    Invoice = Model_('account.invoice')
    invoice, = Invoice.find([('party', '=', erin.id)])
    assert invoice.state == 'posted'
    # 120.00 − 20 % = 96.00
    assert invoice.untaxed_amount == Decimal('96.00')
    assert [(l.quantity, l.amount) for l in invoice.lines] == [
        (3.0, Decimal('120.00')), (1.0, Decimal('-24.00'))]


# Hand edits --------------------------------------------------------------

@pytest.mark.parametrize('state, shown', [
        ('awaiting_payment', "Awaiting Payment"), ('paid', "Paid")])
def test_edit_billed_sale(data, unchanged, state, shown):
    Sale = Model_('marketplace.sale')
    sale = data['sale_of'](state, data['bob'])
    unchanged.refused(AccessError,
        f'The marketplace sale "{sale.rec_name}" is "{shown}": only sales to '
        'invoice can be edited. Billed and paid sales are read-only; '
        'correct them with a credit note.',
        Sale._proxy.write, [sale.id], {'payout_amount': Decimal('1000')}, ctx())


def test_recompute_billed_sale(data, unchanged):
    "The button is refused on a paid sale (its state hides it)"
    Sale = Model_('marketplace.sale')
    sale = data['sale_of']('paid', data['bob'])
    unchanged.refused(UserError,
        f'You can not call "recompute" on "{sale.rec_name}" of '
        '"Marketplace Sale".',
        Sale._proxy.recompute, [sale.id], ctx())


def test_delete_sale(data, unchanged):
    Sale = Model_('marketplace.sale')
    sale = data['sale_of']('to_invoice', data['alice'])
    unchanged.refused(AccessError,
        f'The marketplace sale "{sale.rec_name}" cannot be deleted: it comes '
        'from a paid customer invoice. Cancel the payment or issue a credit '
        'note instead.',
        Sale._proxy.delete, [sale.id], ctx())


@pytest.mark.parametrize('values', [
        {'state': 'paid'},
        {'edited': False},
        {'vendor_invoice_line': None},
        {'vendor_invoice': 'bob_posted'},
        {'vendor': 'bob'},
        {'invoice_line': None},
        ])
def test_write_readonly_ledger_fields(data, unchanged, values):
    """Through RPC a user cannot move a sale to another state, vendor or
    vendor invoice by writing it: only the workflow does"""
    Sale = Model_('marketplace.sale')
    sale = data['sale_of']('to_invoice', data['alice'])
    values = {
        k: (data[v].id if isinstance(v, str) and v in data else v)
        for k, v in values.items()}
    field, = values
    with unchanged():
        with pytest.raises((AccessError, UserError)) as info:
            Sale._proxy.write([sale.id], values, ctx())
    string = Sale._fields[field]['string']
    assert info.value.message == (
        f'You cannot change the field "{string}" of marketplace sale '
        f'"{sale.rec_name}": it is set by the marketplace workflow.'), (
        info.value.message)


def test_create_sale_through_rpc(data, unchanged):
    "Nobody creates ledger rows by hand, not even an administrator"
    Sale = Model_('marketplace.sale')
    sale = data['sale_of']('to_invoice', data['alice'])
    unchanged.refused(AccessError,
        'You are not allowed to access "Marketplace Sale".',
        Sale._proxy.create, [{
                'invoice_line': sale.invoice_line.id,
                'invoice': sale.invoice.id,
                }], ctx())


def test_duplicate_import_through_rpc(data, unchanged):
    "Importing a vendor file twice does not create the rows twice"
    Party = Model_('party.party')
    rows = [
        ['Import Vendor', 'IMPV', 'True', '0.15'],
        ['Import Vendor bis', 'IMPV', 'True', '0.10'],
        ]
    fields_ = ['name', 'code', 'marketplace_vendor',
        'marketplace_commission_rate']
    unchanged.refused(SQLConstraintError,
        'The code on party must be unique.',
        Party._proxy.import_data, fields_, rows, ctx())


def test_import_rate_out_of_range(data, unchanged):
    "An import with one bad row creates none of its rows"
    Party = Model_('party.party')
    rows = [
        ['Good Vendor', 'GOOD1', 'True', '0.15'],
        ['Bad Vendor', 'BAD1', 'True', '15'],
        ]
    unchanged.refused(UserError,
        f'The Commission Rate of "Bad Vendor" is 1500 %: {RATE_HELP}',
        Party._proxy.import_data, ['name', 'code', 'marketplace_vendor',
            'marketplace_commission_rate'], rows, ctx())


def test_import_sales_through_rpc(data, unchanged):
    Sale = Model_('marketplace.sale')
    sale = data['sale_of']('to_invoice', data['alice'])
    unchanged.refused(AccessError,
        'You are not allowed to access "Marketplace Sale".',
        Sale._proxy.import_data, ['description'], [[sale.description or 'x']],
        ctx())


# Quantities and amounts ----------------------------------------------------

def test_zero_and_negative_quantities(data, unchanged):
    """A zero line records a zero sale; a negative line on a customer
    invoice is a clawback (input accepted, amounts by hand)"""
    Sale = Model_('marketplace.sale')
    invoice = data['sell']([
            (data['table'], 0, Decimal('250')),
            (data['chair'], -1, Decimal('100')),
            (data['chair'], 3, Decimal('100'))])
    sales = Sale.find([('invoice', '=', invoice.id)], order=[('id', 'ASC')])
    assert [(s.quantity, s.net_amount, s.commission_amount, s.payout_amount)
        for s in sales] == [
        (0.0, Decimal('0.00'), Decimal('0.00'), Decimal('0.00')),
        (-1.0, Decimal('-100.00'), Decimal('-15.00'), Decimal('-85.00')),
        (3.0, Decimal('300.00'), Decimal('45.00'), Decimal('255.00')),
        ]


def test_huge_amounts(data, unchanged):
    """Nine hundred million per unit, ten thousand units: exact to the
    cent (input accepted)"""
    Sale = Model_('marketplace.sale')
    invoice = data['sell']([
            (data['lamp'], 10000, Decimal('999999999.99'))])
    sale, = Sale.find([('invoice', '=', invoice.id)])
    assert sale.net_amount == Decimal('9999999999900.00')
    # 12.5 %: payout 8749999999912.50, commission 1249999999987.50
    assert sale.payout_amount == Decimal('8749999999912.50')
    assert sale.commission_amount == Decimal('1249999999987.50')
    assert sale.payout_amount + sale.commission_amount == sale.net_amount


def test_currency_without_rate(data, unchanged):
    "A foreign currency invoice cannot be posted without a rate"
    Currency = Model_('currency.currency')
    chf = Currency(name="Swiss Franc", code='CHF', symbol="CHF")
    chf.save()
    invoice = data['invoice_of'](
        [(data['chair'], 1, Decimal('100'))], currency=chf, post=False)
    today = data['today']()
    unchanged.refused(UserError,
        'No rate found for currency "Swiss Franc" on '
        f'"{today.strftime("%m/%d/%Y")}".',
        invoice.click, 'post')


# Payout --------------------------------------------------------------------

def us(date):
    "A date as messages write it in English (the user's language)"
    return date.strftime('%m/%d/%Y')


def test_payout_inverted_period(data, unchanged):
    today = data['today']()
    unchanged.refused(UserError,
        f'The payout period from {us(today)} to '
        f'{us(today - dt.timedelta(days=1))} '
        'is empty: the start date must be on or before the end date.',
        data['payout'], today, today - dt.timedelta(days=1))


def test_payout_empty_period(data, unchanged):
    start = data['built_on'] - dt.timedelta(days=400)
    end = data['built_on'] - dt.timedelta(days=370)
    unchanged.refused(UserError,
        f'Nothing left to bill from {us(start)} to {us(end)}: there is no '
        'marketplace sale to invoice in that period for these vendors.',
        data['payout'], start, end)


def test_payout_non_vendor_filter(data, unchanged):
    "Billing a party that is not a vendor bills nothing"
    unchanged.refused(UserError,
        f'Nothing left to bill from {us(data["last_month"])} to '
        f'{us(data["today"]())}: there is no '
        'marketplace sale to invoice in that period for these vendors.',
        data['payout'], vendors=[data['customer']])


@pytest.mark.parametrize('field, string', [
        ('commission_product', "Commission Product"),
        ('payout_journal', "Payout Journal"),
        ('self_billing_sequence', "Self-Billing Sequence"),
        ])
def test_payout_missing_configuration(data, unchanged, field, string):
    Configuration = Model_('marketplace.configuration')
    configuration = Configuration(1)
    value = getattr(configuration, field)
    setattr(configuration, field, None)
    configuration.save()
    try:
        unchanged.refused(UserError,
            f'The marketplace configuration has no {string}. Set it in '
            'Financial › Marketplace › Configuration before billing vendors.',
            data['payout'])
    finally:
        setattr(configuration, field, value)
        configuration.save()


def test_payout_vendor_without_payable(data, unchanged):
    """A vendor without payable account is not billed: the preview says
    why, and Bill with only that vendor refuses with the way to fix it"""
    from proteus import Wizard
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    AccountConfiguration = Model_('account.configuration')
    account_configuration = AccountConfiguration(1)
    payable = account_configuration.default_account_payable
    account_configuration.default_account_payable = None
    account_configuration.save()
    alice = data['alice']
    alice.account_payable = data['accounts']['payable']
    alice.save()
    try:
        dave = create_vendor("Dave", Decimal('0.1'))
        mug = create_vendor_product(
            "Mug", Decimal('10'), dave, data['category'])
        data['sell']([(mug, 1, Decimal('10'))])
        payout = Wizard('marketplace.payout')
        payout.form.from_date = data['last_month']
        payout.form.to_date = data['today']()
        payout.form.vendors.extend(
            [Model_('party.party')(p.id) for p in [alice, dave]])
        payout.execute('preview')
        actions = {
            l.vendor.name: (l.action, l.reason) for l in payout.form.lines}
        assert actions == {
            "Alice": ('post',
                "no e-mail address: print the invoice and send it by post"),
            "Dave": ('error', "no payable account"),
            }
        assert payout.form.billable
        unchanged.refused(UserError,
            'The vendor "Dave" has no payable account. Set one on the party '
            '(tab Accounting) or a default payable account in the '
            'accounting configuration.',
            data['payout'], vendors=[dave])
    finally:
        account_configuration.default_account_payable = payable
        account_configuration.save()


def test_payout_closed_period(data, unchanged):
    "Billing into a closed period fails and leaves everything to invoice"
    Period = Model_('account.period')
    today = data['today']()
    period, = Period.find([
            ('start_date', '<=', today), ('end_date', '>=', today),
            ('type', '=', 'standard')])
    period.click('close')
    try:
        unchanged.refused(UserError,
            f'To continue, you must reopen the period "{period.rec_name}" '
            f'of company "{data["company"].rec_name}" for the date '
            f'"{today.strftime("%m/%d/%Y")}".',
            data['payout'], vendors=[data['alice']])
    finally:
        period.click('reopen')
        JournalPeriod = Model_('account.journal.period')
        closed = JournalPeriod.find([
                ('period', '=', period.id), ('state', '=', 'closed')])
        if closed:
            JournalPeriod.click(closed, 'reopen')


def test_payout_foreign_currency_without_rate(data, unchanged):
    """A sale in a currency whose rate was removed: the run fails when the
    invoice is posted and nothing of it remains, not even the other
    vendor's invoice created before"""
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    Currency = Model_('currency.currency')
    eur = Currency(name="Euro", code='EUR', symbol="€")
    eur.rates.new(date=data['last_month'], rate=Decimal('0.9'))
    eur.save()
    frank = create_vendor("Frank", Decimal('0.1'))
    cup = create_vendor_product("Cup", Decimal('10'), frank, data['category'])
    data['sell']([(cup, 2, Decimal('10'))], currency=eur)
    Rate = Model_('currency.currency.rate')
    Rate.delete(Rate.find([('currency', '=', eur.id)]))
    unchanged.refused(UserError,
        'No rate found for currency "Euro" on '
        f'"{data["today"]().strftime("%m/%d/%Y")}".',
        data['payout'], vendors=[data['alice'], frank])


def test_payout_all_skipped(data, unchanged):
    Configuration = Model_('marketplace.configuration')
    configuration = Configuration(1)
    configuration.minimum_payout = Decimal('100000')
    configuration.save()
    Sale = Model_('marketplace.sale')
    total = sum(s.payout_amount for s in Sale.find([
                ('vendor', '=', data['alice'].id),
                ('state', '=', 'to_invoice')]))
    try:
        unchanged.refused(UserError,
            'No vendor is billed: the payout of each is negative (clawbacks '
            'exceed sales) or below the minimum payout of 100000: '
            f'Alice ({total} USD). Their sales stay to invoice for a later '
            'period.', data['payout'], vendors=[data['alice']])
    finally:
        configuration.minimum_payout = Decimal('0')
        configuration.save()


# Vendor invoices -----------------------------------------------------------

def test_cancel_paid_vendor_invoice(data, unchanged):
    "A paid vendor invoice cannot be cancelled: its sales stay paid"
    Invoice = Model_('account.invoice')
    invoice = data['bob_paid']
    unchanged.refused(UserError,
        f'You can not call "cancel" on "{invoice.rec_name}" of '
        '"Account Invoice".',
        Invoice._proxy.cancel, [invoice.id], ctx())


def test_delete_posted_vendor_invoice(data, unchanged):
    Invoice = Model_('account.invoice')
    invoice = data['bob_posted']
    unchanged.refused(AccessError,
        f'You cannot modify invoice "{invoice.rec_name}" because it is '
        'posted, paid or cancelled.',
        Invoice._proxy.delete, [invoice.id], ctx())


def test_draft_posted_vendor_invoice(data, unchanged):
    "A posted self-billed invoice cannot go back to draft"
    Invoice = Model_('account.invoice')
    invoice = data['bob_posted']
    with unchanged():
        Invoice._proxy.draft([invoice.id], ctx())
    assert Invoice(invoice.id).state == 'posted'


def test_payout_vendor_without_address(data, unchanged):
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    gina = create_vendor("Gina", Decimal('0.1'))
    Address = Model.get('party.address')
    Address.delete(list(gina.addresses))
    pen = create_vendor_product("Pen", Decimal('2'), gina, data['category'])
    data['sell']([(pen, 5, Decimal('2'))])
    unchanged.refused(UserError,
        'The vendor "Gina" has no address: the self-billing invoice needs '
        'one. Add an address on the party, then bill again.',
        data['payout'], vendors=[gina])
