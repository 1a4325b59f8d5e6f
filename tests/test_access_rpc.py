# This file is part of the marketplace modules for Tryton.
"""Access rules proved with real users through raw RPC (issue #8, part 4).

A running trytond (on PostgreSQL: the test database; on SQLite: a file copy
of it) is called with plain ``xmlrpc.client`` and plain ``urllib`` JSON-RPC,
as:
- a vendor portal user: reads only its own marketplace sales, vendor
  invoices and their lines; writes nothing; cannot switch vendor; cannot bill;
- a plain sales user: cannot change rates, vendors or the configuration,
  cannot read the ledger, cannot bill;
- a marketplace reader: reads every sale, edits none, cannot bill.
After the attempts the administrator reads the same rates and states.
"""
import xmlrpc.client
from decimal import Decimal

import pytest

PASSWORD = 'Access-Test-Pass-8'


class Attempts:
    count = 0


@pytest.fixture(scope='module')
def data(build_marketplace_db, fresh_database):
    with fresh_database():
        yield build_data(build_marketplace_db)


def build_data(build_marketplace_db):
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)

    data = build_marketplace_db()
    category, sell = data['category'], data['sell']
    alice = create_vendor("Alice", Decimal('0.15'), Decimal('0.5'))
    bob = create_vendor("Bob", Decimal('0.125'))
    chair = create_vendor_product("Chair", Decimal('100'), alice, category)
    lamp = create_vendor_product("Lamp", Decimal('33.33'), bob, category)
    sell([(chair, 2, Decimal('100')), (lamp, 3, Decimal('33.33'))])
    sell([(chair, 1, Decimal('100')), (lamp, 1, Decimal('33.33'))])
    data['payout']()
    sell([(chair, 1, Decimal('100')), (lamp, 2, Decimal('33.33'))])

    Group = Model.get('res.group')
    User = Model.get('res.user')
    portal_group, = Group.find([('name', '=', "Marketplace Vendor Portal")])
    sales_group, = Group.find([('name', '=', "Sales")])
    reader_group, = Group.find([('name', '=', "Marketplace")])

    def user(login, groups, vendor=None):
        user = User(login=login, name=login.title())
        for group in groups:
            user.groups.append(Group(group.id))
        user.marketplace_vendor = vendor
        user.password = PASSWORD
        user.save()
        return user
    admin = User(data['config'].user)
    admin.password = PASSWORD
    admin.save()
    user('portal_alice', [portal_group], alice)
    user('portal_bob', [portal_group], bob)
    user('seller', [sales_group])
    user('reader', [reader_group])

    Sale = Model.get('marketplace.sale')
    Invoice = Model.get('account.invoice')
    InvoiceLine = Model.get('account.invoice.line')
    data.update({
        'alice': alice, 'bob': bob, 'chair': chair, 'lamp': lamp,
        'sales': {
            v.id: sorted(s.id for s in Sale.find([('vendor', '=', v.id)]))
            for v in [alice, bob]},
        'vendor_invoices': {
            v.id: [i.id for i in Invoice.find([
                        ('type', '=', 'in'), ('party', '=', v.id)])]
            for v in [alice, bob]},
        'customer_invoices': [
            i.id for i in Invoice.find([('type', '=', 'out')])],
        'vendor_lines': {
            v.id: sorted(l.id for l in InvoiceLine.find([
                        ('invoice.type', '=', 'in'),
                        ('invoice.party', '=', v.id)]))
            for v in [alice, bob]},
        })
    assert len(data['sales'][alice.id]) == 3
    assert len(data['sales'][bob.id]) == 3
    assert all(len(v) == 1 for v in data['vendor_invoices'].values())
    return data


@pytest.fixture(scope='module')
def server(data, live_trytond):
    return live_trytond()


def fault(call, *args):
    "Call through XML-RPC and return the fault message"
    Attempts.count += 1
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(*args)
    return info.value.faultString


def refused(server, login, method, *params):
    Attempts.count += 1
    kind, message = server.jsonrpc(login, PASSWORD, method, *params)
    assert kind == 'error', (method, message)
    return message


def D(value):
    return {'__class__': 'Decimal', 'decimal': str(value)}


def dec(value):
    "A Decimal from what XML-RPC returns"
    if isinstance(value, dict):
        value = value['decimal']
    return Decimal(str(value))


def JD(value):
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


def test_portal_user_xmlrpc(data, server):
    "A vendor portal user reads its own rows only (xmlrpc.client)"
    alice, bob = data['alice'].id, data['bob'].id
    rpc = server.xmlrpc('portal_alice', PASSWORD)
    Sale = getattr(rpc.model, 'marketplace.sale')
    Invoice = getattr(rpc.model, 'account.invoice')
    Line = getattr(rpc.model, 'account.invoice.line')

    assert sorted(Sale.search([], 0, None, None, {})) == data['sales'][alice]
    rows = Sale.search_read([], 0, None, None, ['vendor', 'state'], {})
    assert {r['vendor'] for r in rows} == {alice}
    assert sorted(r['state'] for r in rows) == [
        'awaiting_payment', 'awaiting_payment', 'to_invoice']
    assert Sale.search_count([('vendor', '=', bob)], 0, None, {}) == 0
    bob_sale = data['sales'][bob][0]
    message = fault(Sale.read, [bob_sale], ['payout_amount'], {})
    assert message.startswith(
        'You are not allowed to read records "%s" of "Marketplace Sale" '
        'because of at least one of these rules:' % bob_sale), message
    assert "Vendor portal: own sales only" in message, message

    # own vendor invoices only, never customer invoices nor Bob's
    assert Invoice.search([], 0, None, None, {}) == (
        data['vendor_invoices'][alice])
    for other in [data['customer_invoices'][0],
            data['vendor_invoices'][bob][0]]:
        message = fault(Invoice.read, [other], ['total_amount'], {})
        assert message == (
            'You are not allowed to read records "%s" of "Account Invoice" '
            'because of at least one of these rules:\n'
            'Vendor portal: own vendor invoices only - Within groups: '
            'Marketplace Vendor Portal' % other), message
    assert sorted(Line.search([], 0, None, None, {})) == (
        data['vendor_lines'][alice])
    message = fault(Line.read, data['vendor_lines'][bob], ['amount'], {})
    assert 'because of at least one of these rules' in message, message

    # writes nothing
    own = data['sales'][alice][-1]
    message = fault(Sale.write, [own], {'payout_amount': 1}, {})
    assert message == (
        'You are not allowed to access "Marketplace Sale". - '
        'Within groups: Marketplace Vendor Portal'), message
    message = fault(Invoice.write, data['vendor_invoices'][alice],
        {'comment': "changed"}, {})
    assert message == (
        'You are not allowed to access "Account Invoice". - '
        'Within groups: Marketplace Vendor Portal'), message


def test_portal_user_cannot_switch_vendor(data, server):
    "Preferences cannot point the portal user to another vendor"
    alice, bob = data['alice'].id, data['bob'].id
    rpc = server.xmlrpc('portal_alice', PASSWORD)
    User = getattr(rpc.model, 'res.user')
    Attempts.count += 1
    try:
        User.set_preferences({'marketplace_vendor': bob}, {})
    except xmlrpc.client.Fault:
        pass
    message = fault(User.write, [data['config'].user], {'login': 'x'}, {})
    assert message.startswith('You are not allowed to'), message
    Sale = getattr(rpc.model, 'marketplace.sale')
    assert sorted(Sale.search([], 0, None, None, {})) == data['sales'][alice]
    prefs = User.get_preferences(False, {})
    assert prefs.get('marketplace_vendor') in (None, alice), prefs


def test_portal_user_jsonrpc_cannot_bill(data, server):
    "Bob's portal user through plain urllib JSON-RPC"
    bob = data['bob'].id
    kind, ids = server.jsonrpc('portal_bob', PASSWORD,
        'model.marketplace.sale.search', [], 0, None, None, {})
    assert (kind, sorted(ids)) == ('result', data['sales'][bob])
    kind, ids = server.jsonrpc('portal_bob', PASSWORD,
        'model.account.invoice.search', [], 0, None, None, {})
    assert (kind, ids) == ('result', data['vendor_invoices'][bob])
    message = refused(server, 'portal_bob',
        'wizard.marketplace.payout.create', {})
    assert message.startswith('You are not allowed to'), message


RATE_WRITES = [
    ('party.party', 'alice', 'marketplace_commission_rate', D('0.01')),
    ('party.party', 'alice', 'marketplace_support_rate', D('0')),
    ('product.template', 'chair', 'marketplace_commission_rate', D('0.01')),
    ('party.party', 'bob', 'marketplace_vendor', False),
    ('product.template', 'chair', 'marketplace_vendor', 'bob'),
    ('marketplace.configuration', None, 'default_commission_rate',
        D('0.01')),
    ]


@pytest.mark.parametrize('model, record, field, value', RATE_WRITES)
def test_seller_cannot_change_rates(data, server, model, record, field,
        value):
    "A plain sales user changes no rate, vendor or configuration"
    if record is None:
        id_ = 1
    elif model == 'product.template':
        id_ = data[record].template.id
    else:
        id_ = data[record].id
    if isinstance(value, str):
        value = data[value].id
    message = refused(server, 'seller',
        f'model.{model}.write', [id_], {field: value}, {})
    assert message.startswith('You are not allowed to'), message


def test_seller_creates_customer_with_client_defaults(data, server):
    """The rate and vendor fields a seller may not write do not stop them
    creating a customer with the defaults the client sends"""
    names = ['name', 'marketplace_vendor', 'marketplace_commission_rate',
        'marketplace_support_rate']
    kind, definitions = server.jsonrpc('seller', PASSWORD,
        'model.party.party.fields_get', names, {})
    assert kind == 'result', definitions
    # the client shows them read-only and so never sends them
    assert [definitions[n].get('readonly', False) for n in names] == [
        False, True, True, True]
    kind, defaults = server.jsonrpc('seller', PASSWORD,
        'model.party.party.default_get', names, False, {})
    assert kind == 'result', defaults
    values = {
        k: v for k, v in defaults.items()
        if k in definitions and not definitions[k].get('readonly')}
    values['name'] = "Walk-in Customer"
    kind, ids = server.jsonrpc('seller', PASSWORD,
        'model.party.party.create', [values], {})
    assert kind == 'result', (values, ids)
    assert len(ids) == 1
    # but not a vendor
    message = refused(server, 'seller', 'model.party.party.create', [{
                'name': "Sneaky Vendor", 'marketplace_vendor': True,
                'marketplace_commission_rate': D('0')}], {})
    assert message.startswith('You are not allowed to'), message


def test_seller_cannot_read_ledger_nor_bill(data, server):
    message = refused(server, 'seller',
        'model.marketplace.sale.search', [], 0, None, None, {})
    assert message == (
        'You are not allowed to read records of "Marketplace Sale".'
        )[:len(message)] or message.startswith(
        'You are not allowed to'), message
    message = refused(server, 'seller', 'wizard.marketplace.payout.create',
        {})
    assert message.startswith('You are not allowed to'), message


def test_reader_cannot_edit_nor_bill(data, server):
    alice = data['alice'].id
    kind, ids = server.jsonrpc('reader', PASSWORD,
        'model.marketplace.sale.search', [], 0, None, None, {})
    assert kind == 'result'
    assert sorted(ids) == sorted(sum(data['sales'].values(), []))
    own = data['sales'][alice][-1]
    message = refused(server, 'reader', 'model.marketplace.sale.write',
        [own], {'payout_amount': D('1')}, {})
    assert message == 'You are not allowed to access "Marketplace Sale".', (
        message)
    kind, result = server.jsonrpc('reader', PASSWORD,
        'wizard.marketplace.payout.create', {})
    if kind == 'result':
        session = result[0]
        message = refused(server, 'reader',
            'wizard.marketplace.payout.execute', session, {
                'start': {'from_date': JD(data['last_month']),
                    'to_date': JD(data['today']()), 'vendors': []}},
            'bill', {})
    else:
        message = result
    assert message.startswith('You are not allowed to'), message


def test_nothing_changed(data, server):
    "After all the attempts the administrator reads the same data"
    alice, bob = data['alice'].id, data['bob'].id
    rpc = server.xmlrpc('admin', PASSWORD)
    Party = getattr(rpc.model, 'party.party')
    parties = Party.read([alice, bob], [
            'marketplace_vendor', 'marketplace_commission_rate',
            'marketplace_support_rate'], {})
    got = {p['id']: (p['marketplace_vendor'],
            dec(p['marketplace_commission_rate']),
            dec(p['marketplace_support_rate']))
        for p in parties}
    assert got == {
        alice: (True, Decimal('0.15'), Decimal('0.5')),
        bob: (True, Decimal('0.125'), Decimal('0')),
        }
    Template = getattr(rpc.model, 'product.template')
    template, = Template.read([data['chair'].template.id],
        ['marketplace_vendor', 'marketplace_commission_rate'], {})
    assert template['marketplace_vendor'] == alice
    assert template['marketplace_commission_rate'] is None
    Sale = getattr(rpc.model, 'marketplace.sale')
    rows = Sale.search_read([], 0, None, [('id', 'ASC')],
        ['state', 'vendor', 'payout_amount', 'edited'], {})
    assert [r['state'] for r in rows] == [
        'awaiting_payment'] * 4 + ['to_invoice'] * 2
    assert not any(r['edited'] for r in rows)
    Invoice = getattr(rpc.model, 'account.invoice')
    assert len(Invoice.search([('type', '=', 'in')], 0, None, None, {})) == 2
    print("access attempts:", Attempts.count)
