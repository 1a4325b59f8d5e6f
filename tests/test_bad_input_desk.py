# This file is part of the marketplace modules for Tryton.
"""Bad input on the sales desk: incoming payments, cheque deposit slips,
sale types and the sales dashboard (issue #8, part 1, continued).

Same rule as test_bad_input.py: the exact message, and the database left
exactly as it was (``unchanged`` in conftest.py).  Built once on the cached
database of the sales_management scenario.
"""
from decimal import Decimal

import pytest

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ForeignKeyError


@pytest.fixture(scope='module')
def data(fresh_database, server_today):
    with fresh_database():
        yield build_data(server_today)


def build_data(server_today):
    from proteus import Model
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        create_payment_term, set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import create_company
    from trytond.tests.tools import activate_modules

    activate_modules(
        ['account_fr', 'sales_management', 'sales_dashboard'],
        create_company)
    Company = Model.get('company.company')
    company, = Company.find()
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, today=server_today()))
    fiscalyear.click('create_period')
    create_chart(company)
    accounts = get_accounts(company)

    Account = Model.get('account.account')
    Journal = Model.get('account.journal')
    cash_journal, = Journal.find([('type', '=', 'cash')])
    bank = accounts['cash']
    cheques_account = Account(name="Cheques to deposit", code='5112')
    cheques_account.type = bank.type
    cheques_account.parent = bank.parent
    cheques_account.reconcile = True
    cheques_account.save()
    PaymentJournal = Model.get('account.payment.journal')
    cheque_journal = PaymentJournal(name="Cheques")
    cheque_journal.process_method = 'manual'
    cheque_journal.receipt_method = 'cheque'
    cheque_journal.clearing_account = cheques_account
    cheque_journal.clearing_journal = cash_journal
    cheque_journal.save()
    transfer_journal = PaymentJournal(name="Transfers")
    transfer_journal.process_method = 'manual'
    transfer_journal.receipt_method = 'transfer'
    transfer_journal.clearing_account = bank
    transfer_journal.clearing_journal = cash_journal
    transfer_journal.save()

    payment_term = create_payment_term()
    payment_term.save()
    SaleType = Model.get('sale.type')
    sale_type = SaleType(name="Retail", payment_term=payment_term)
    sale_type.save()
    Party = Model.get('party.party')
    customer = Party(name="Customer")
    customer.save()
    Category = Model.get('product.category')
    category = Category(name="Goods", accounting=True)
    category.account_revenue = accounts['revenue']
    category.account_expense = accounts['expense']
    category.save()
    Uom = Model.get('product.uom')
    unit, = Uom.find([('name', '=', 'Unit')])
    Template = Model.get('product.template')
    template = Template(name="Chair", default_uom=unit)
    template.type = 'service'
    template.list_price = Decimal('50')
    template.salable = True
    template.account_category = category
    template.save()
    product, = template.products

    Sale = Model.get('sale.sale')

    def invoice(quantity, post=True):
        sale = Sale(party=customer, sale_type=sale_type,
            invoice_method='order')
        line = sale.lines.new()
        line.product = product
        line.quantity = quantity
        sale.click('quote')
        sale.click('confirm')
        invoice, = sale.invoices
        if post:
            invoice.click('post')
        return invoice

    def receive(invoice, journal, number=None, amount=None):
        wizard = invoice.click('receive_payment')
        wizard.form.journal = journal
        if number:
            wizard.form.cheque_number = number
        if amount is not None:
            wizard.form.amount = amount
        wizard.execute('receive')
        invoice.reload()
        return invoice

    deposited = receive(invoice(2), cheque_journal, 'CHQ-1')
    Deposit = Model.get('sale.cheque.deposit')
    deposit = Deposit(payment_journal=cheque_journal, journal=cash_journal,
        bank_account=bank)
    deposit.save()
    deposit.click('add_waiting')
    deposit.click('post')
    waiting = receive(invoice(1), cheque_journal, 'CHQ-2')

    return {
        'company': company, 'accounts': accounts, 'bank': bank,
        'cash_journal': cash_journal, 'cheque_journal': cheque_journal,
        'transfer_journal': transfer_journal, 'cheques_account': cheques_account,
        'customer': customer, 'product': product, 'sale_type': sale_type,
        'invoice': invoice, 'receive': receive, 'deposit': deposit,
        'deposited': deposited, 'waiting': waiting,
        'fiscalyear': fiscalyear, 'today': server_today,
        }


def Model_(name):
    from proteus import Model
    return Model.get(name)


def ctx():
    from proteus import config
    return config.get_config().context


def new_deposit(data, journal=None):
    Deposit = Model_('sale.cheque.deposit')
    deposit = Deposit(payment_journal=journal or data['cheque_journal'],
        journal=data['cash_journal'], bank_account=data['bank'])
    deposit.save()
    return deposit


# Payment journals ------------------------------------------------------------

def test_cheque_journal_without_clearing(data, unchanged):
    PaymentJournal = Model_('account.payment.journal')
    unchanged.refused(UserError,
        'Set a clearing account (the "cheques to deposit" account) and a '
        'clearing journal on the cheque payment journal "Cheques bis".',
        PaymentJournal._proxy.create, [{
                'name': "Cheques bis", 'process_method': 'manual',
                'receipt_method': 'cheque',
                'currency': data['company'].currency.id,
                'company': data['company'].id}], ctx())


def test_cheque_journal_clearing_removed(data, unchanged):
    PaymentJournal = Model_('account.payment.journal')
    unchanged.refused(UserError,
        'A value is required for field "Clearing Account" in record '
        '"Cheques" of "Account Payment Journal".',
        PaymentJournal._proxy.write, [data['cheque_journal'].id],
        {'clearing_account': None}, ctx())


# Incoming payments -----------------------------------------------------------

@pytest.mark.parametrize('which', ['draft', 'paid', 'supplier'])
def test_receive_payment_wrong_invoice(data, unchanged, which):
    from proteus import Wizard
    Invoice = Model_('account.invoice')
    if which == 'draft':
        invoice = data['invoice'](1, post=False)
    elif which == 'paid':
        invoice = data['deposited']
    else:
        invoice = Invoice(type='in', party=data['customer'],
            invoice_date=data['today']())
        line = invoice.lines.new()
        line.product = data['product']
        line.quantity = 1
        line.unit_price = Decimal('10')
        invoice.click('post')
    unchanged.refused(UserError,
        'You can record an incoming payment only on a posted customer '
        f'invoice, which "{invoice.rec_name}" is not.',
        Wizard, 'account.invoice.receive_payment', [invoice])


@pytest.mark.parametrize('amount', [Decimal('0'), Decimal('-10')])
def test_receive_payment_amount_not_positive(data, unchanged, amount):
    invoice = data['invoice'](1)
    unchanged.refused(UserError,
        f'The amount of the incoming payment for invoice "{invoice.rec_name}" '
        f'is {amount}: enter an amount greater than zero.',
        data['receive'], invoice, data['transfer_journal'], amount=amount)


def test_receive_cheque_without_number(data, unchanged):
    invoice = data['invoice'](1)
    unchanged.refused(UserError,
        'Enter the cheque number of the incoming payment for invoice '
        f'"{invoice.rec_name}".',
        data['receive'], invoice, data['cheque_journal'])


# Deposit slips ---------------------------------------------------------------

def test_deposit_without_cheque_waiting(data, unchanged):
    deposit = new_deposit(data)
    # the waiting cheque is taken by a first slip
    deposit.click('add_waiting')
    assert [p.cheque_number for p in deposit.payments] == ['CHQ-2']
    empty = new_deposit(data)
    try:
        unchanged.refused(UserError,
            'There is no received cheque waiting to be deposited in journal '
            '"Cheques": record the cheques from the customer invoices '
            'first.',
            empty.click, 'add_waiting')
        unchanged.refused(UserError,
            f'Deposit slip "{empty.rec_name}" has no cheque: add at least '
            'one received cheque before posting it.',
            empty.click, 'post')
    finally:
        deposit.click('cancel')


def test_delete_posted_deposit(data, unchanged):
    Deposit = Model_('sale.cheque.deposit')
    deposit = data['deposit']
    unchanged.refused(AccessError,
        f'You cannot delete deposit slip "{deposit.rec_name}" because it is '
        'posted.',
        Deposit._proxy.delete, [deposit.id], ctx())


def test_fail_deposited_cheque(data, unchanged):
    Payment = Model_('account.payment')
    cheque, = data['deposit'].payments
    unchanged.refused(UserError,
        f'You cannot change the state of cheque "{cheque.rec_name}" because '
        f'it is on the posted deposit slip "{data["deposit"].rec_name}".',
        Payment._proxy.write, [cheque.id], {'state': 'failed'}, ctx())


def test_deposit_cheque_of_other_journal(data, unchanged):
    "A transfer cannot be put on a cheque deposit slip"
    Payment = Model_('account.payment')
    invoice = data['receive'](data['invoice'](1), data['transfer_journal'])
    transfer, = invoice.incoming_payments
    deposit = new_deposit(data)
    unchanged.refused(UserError,
        f'Cheque "{transfer.rec_name}" cannot be deposited with slip '
        f'"{deposit.rec_name}": it must be a received (succeeded) payment '
        "of the slip's cheque journal.",
        Payment._proxy.write, [transfer.id], {'cheque_deposit': deposit.id},
        ctx())
    deposit.delete()


@pytest.mark.parametrize('move', ['off', 'on'])
def test_posted_slip_cheques_fixed(data, unchanged, move):
    """Through RPC no cheque leaves a posted slip (it would be counted to
    deposit again) and none joins it (it is not in the posted move)"""
    Payment = Model_('account.payment')
    deposit = data['deposit']
    if move == 'off':
        cheque, = deposit.payments
        value = None
    else:
        cheque, = data['waiting'].incoming_payments
        value = deposit.id
    unchanged.refused(UserError,
        f'You cannot put cheque "{cheque.rec_name}" on or take it off '
        f'deposit slip "{deposit.rec_name}" because the slip is posted.',
        Payment._proxy.write, [cheque.id], {'cheque_deposit': value}, ctx())


def test_deposit_in_closed_period(data, unchanged):
    "Posting a slip into a closed period takes no number and moves nothing"
    Period = Model_('account.period')
    deposit = new_deposit(data)
    deposit.click('add_waiting')
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
            deposit.click, 'post')
    finally:
        period.click('reopen')
        JournalPeriod = Model_('account.journal.period')
        closed = JournalPeriod.find([
                ('period', '=', period.id), ('state', '=', 'closed')])
        if closed:
            JournalPeriod.click(closed, 'reopen')
        deposit.click('cancel')


# Sale types ------------------------------------------------------------------

def test_delete_used_sale_type(data, unchanged):
    SaleType = Model_('sale.type')
    unchanged.refused(ForeignKeyError,
        'The records could not be deleted because they are used by field '
        '"Sale Type" of "Account Invoice".',
        SaleType._proxy.delete, [data['sale_type'].id], ctx())


# Dashboard -------------------------------------------------------------------

def test_dashboard_unknown_company(data, unchanged):
    Month = Model_('sale.dashboard.revenue_expense.month')
    context = dict(ctx(), company=999999)
    unchanged.refused(UserError,
        'You are trying to read records "999999" of "Company" that don\'t '
        'exist.',
        Month._proxy.search, [], 0, None, None, context)


@pytest.mark.parametrize('context', [
        {'fiscalyear': 999999}, {'company': None}, {'category': 999999}])
def test_dashboard_bad_context(data, unchanged, context):
    """A fiscal year, company or category that does not exist shows
    nothing: no error, no row of another company or year"""
    from proteus import config
    base = dict(config.get_config().context)
    base.update(context)
    names = ['sale.dashboard.revenue_expense.month',
        'sale.dashboard.revenue_expense.category']
    if 'fiscalyear' not in context:
        names.append('sale.dashboard.totals')
    with unchanged():
        for name in names:
            Model = Model_(name)
            ids = Model._proxy.search([], 0, None, None, base)
            if name == 'sale.dashboard.revenue_expense.month' and (
                    'category' in context):
                assert ids == [], (name, context)
            elif 'category' not in context:
                assert ids == [], (name, context)
