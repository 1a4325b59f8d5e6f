# This file is part of the marketplace modules for Tryton.
"""The defaults of new deposit slips, per company, in the sales
configuration"""
from trytond.model import ModelSQL, fields
from trytond.modules.company.model import CompanyValueMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

DEPOSIT_FIELDS = {
    'deposit_payment_journal', 'deposit_journal', 'deposit_bank',
    'deposit_bank_account'}


def deposit_payment_journal(company):
    return fields.Many2One(
        'account.payment.journal', "Cheque Journal",
        domain=[
            ('company', '=', company),
            ('receipt_method', '=', 'cheque'),
            ],
        help="The payment journal of the cheques proposed on new deposit "
        "slips.")


def deposit_journal(company):
    return fields.Many2One(
        'account.journal', "Deposit Journal",
        context={
            'company': company,
            },
        help="The journal of the move of new deposit slips.")


def deposit_bank(party):
    return fields.Many2One(
        'bank.account', "Bank Account",
        domain=[
            ('owners', '=', party),
            ],
        help="The bank account of the company where the cheques are "
        "deposited, printed with its IBAN on new deposit slips.")


def deposit_bank_account(company):
    return fields.Many2One(
        'account.account', "Bank Ledger Account",
        domain=[
            ('company', '=', company),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('party_required', '=', False),
            ],
        help="The account debited with the cheques of new deposit slips "
        "(512 in the French chart).")


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    _company = Eval('context', {}).get('company', -1)
    deposit_payment_journal = fields.MultiValue(
        deposit_payment_journal(_company))
    deposit_journal = fields.MultiValue(deposit_journal(_company))
    deposit_bank = fields.MultiValue(
        deposit_bank(Eval('company_party', -1)))
    deposit_bank_account = fields.MultiValue(
        deposit_bank_account(_company))
    company_party = fields.Function(fields.Many2One(
            'party.party', "Company Party"),
        'get_company_party')
    del _company

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in DEPOSIT_FIELDS:
            return pool.get('sale.configuration.cheque_deposit')
        return super().multivalue_model(field)

    @classmethod
    def default_company_party(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        if company_id is not None and company_id >= 0:
            return Company(company_id).party.id

    def get_company_party(self, name):
        return self.default_company_party()


class ConfigurationChequeDeposit(ModelSQL, CompanyValueMixin):
    "Sale Configuration Cheque Deposit"
    __name__ = 'sale.configuration.cheque_deposit'
    deposit_payment_journal = deposit_payment_journal(Eval('company', -1))
    deposit_journal = deposit_journal(Eval('company', -1))
    deposit_bank = deposit_bank(Eval('company_party', -1))
    deposit_bank_account = deposit_bank_account(Eval('company', -1))
    company_party = fields.Function(fields.Many2One(
            'party.party', "Company Party",
            context={
                'company': Eval('company', -1),
                },
            depends={'company'}),
        'on_change_with_company_party')

    @fields.depends('company')
    def on_change_with_company_party(self, name=None):
        if self.company:
            return self.company.party
