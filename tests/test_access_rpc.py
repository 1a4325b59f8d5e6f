# This file is part of the marketplace modules for Tryton.
"""Access rules proved with real users through raw RPC (issues #8, #26).

A running trytond (on PostgreSQL: the test database; on SQLite: a file copy
of it) is called with plain ``xmlrpc.client`` and plain ``urllib`` JSON-RPC:
- no ERP user can be a vendor any more: the vendor portal group, its record
  rules and the user's vendor field are gone (vendors are web users of the
  portal, see test_portal_http.py);
- the probes that once let a vendor portal user out of its vendor, re-run
  as a plain sales user: the answers are those the README lists;
- a plain sales user cannot change rates, vendors or the configuration,
  cannot read the ledger, cannot bill;
- a marketplace reader: reads every sale, edits none, cannot bill.
After the attempts the administrator reads the same rates and states.
"""
import urllib.error
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
    sales_group, = Group.find([('name', '=', "Sales")])
    reader_group, = Group.find([('name', '=', "Marketplace")])

    def user(login, groups):
        user = User(login=login, name=login.title())
        for group in groups:
            user.groups.append(Group(group.id))
        user.password = PASSWORD
        user.save()
        return user
    data['admin_password'](PASSWORD)
    user('seller', [sales_group])
    user('reader', [reader_group])

    Address = Model.get('party.address')
    address = Address(party=bob, street="1 Vendor Street", city="Paris")
    address.save()

    Sale = Model.get('marketplace.sale')
    Invoice = Model.get('account.invoice')
    InvoiceLine = Model.get('account.invoice.line')
    data.update({
        'alice': alice, 'bob': bob, 'bob_address': address.id, 'chair': chair, 'lamp': lamp,
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


def test_no_user_can_be_a_vendor(data, server):
    """The vendor portal group, its rules and the user's vendor field are
    gone: no res.user can be limited to (or act as) a vendor"""
    alice = data['alice'].id
    rpc = server.xmlrpc('admin', PASSWORD)
    Group = getattr(rpc.model, 'res.group')
    assert Group.search([('name', 'ilike', '%vendor%')], 0, None, None,
        {}) == []
    RuleGroup = getattr(rpc.model, 'ir.rule.group')
    assert RuleGroup.search([('name', 'ilike', '%vendor%')], 0, None, None,
        {}) == []
    Rule = getattr(rpc.model, 'ir.rule')
    assert Rule.search([('domain', 'ilike', '%marketplace_vendors%')],
        0, None, None, {}) == []
    User = getattr(rpc.model, 'res.user')
    assert 'marketplace_vendor' not in User.fields_get([], {})
    seller, = User.search([('login', '=', 'seller')], 0, None, None, {})
    message = fault(User.write, [seller], {'marketplace_vendor': alice}, {})
    assert 'marketplace_vendor' in message, message


# The probes that let a vendor portal user out of its vendor, as a plain
# sales user now: (name, method, params) -> 'result' or 'error'.  A sales
# user is an employee: Tryton gives every ERP user the models without access
# records of their groups (parties, addresses, contact mechanisms,
# identifiers, products); the marketplace adds that rates, the vendor flag,
# the configuration and the ledger are not theirs.
PROBES = [
    ('write vendor name', 'model.party.party.write',
        lambda d: ([d['bob'].id], {'name': "Bob Renamed"}, {}), 'result'),
    ('write customer name', 'model.party.party.write',
        lambda d: ([d['customer'].id], {'name': "Customer Renamed"}, {}),
        'result'),
    ('write vendor address', 'model.party.address.write',
        lambda d: ([d['bob_address']], {'street': "1 Other Street"}, {}),
        'result'),
    ('create vendor invoice e-mail', 'model.party.contact_mechanism.create',
        lambda d: ([{'party': d['bob'].id, 'type': 'email',
                        'value': 'other@example.com'}], {}), 'result'),
    ('create vendor identifier', 'model.party.identifier.create',
        lambda d: ([{'party': d['bob'].id, 'code': 'OTHER-1'}], {}),
        'result'),
    # PostgreSQL refuses to index a name that long (503, nothing written)
    ('create party with a 10 MB name', 'model.party.party.create',
        lambda d: ([{'name': 'x' * 10_000_000}], {}),
        ('result', 'unavailable')),
    ('read balances', 'model.party.party.read',
        lambda d: ([d['bob'].id, d['customer'].id],
            ['payable', 'receivable'], {}), 'result'),
    ('read vendor rates', 'model.party.party.read',
        lambda d: ([d['bob'].id], ['marketplace_commission_rate'], {}),
        'result'),
    ('read users and groups', 'model.res.user.search_read',
        lambda d: ([], 0, None, None, ['login', 'groups'], {}), 'result'),
    ('read marketplace configuration', 'model.marketplace.configuration.read',
        lambda d: ([1], ['default_commission_rate'], {}), 'result'),
    ('read products and prices', 'model.product.product.search_read',
        lambda d: ([], 0, None, None, ['rec_name', 'list_price'], {}),
        'result'),
    ('search oracle through invoice', 'model.marketplace.sale.search',
        lambda d: ([('invoice.marketplace_sales', 'where', [
                            ('vendor', '=', d['bob'].id),
                            ('payout_amount', '>=', 0)])],
            0, None, None, {}), 'error'),
    ('write sale', 'model.marketplace.sale.write',
        lambda d: ([d['sales'][d['bob'].id][0]], {'payout_amount': 1}, {}),
        'error'),
    ]


@pytest.mark.parametrize('name, method, params, expected', PROBES,
    ids=[p[0] for p in PROBES])
def test_seller_probes(data, server, name, method, params, expected):
    Attempts.count += 1
    try:
        kind, answer = server.jsonrpc(
            'seller', PASSWORD, method, *params(data))
    except urllib.error.HTTPError as error:
        kind, answer = {503: 'unavailable'}.get(error.code, error), error
    if not isinstance(expected, tuple):
        expected = (expected,)
    assert kind in expected, (name, str(answer)[:300])
    if kind == 'error':
        assert answer.startswith('You are not allowed to'), answer

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
