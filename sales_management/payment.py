# This file is part of the marketplace modules for Tryton.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import IncomingPaymentError

RECEIPT_METHODS = [
    (None, ""),
    ('cheque', "Cheque"),
    ('transfer', "Transfer"),
    ('cash', "Cash"),
    ('card', "Card"),
    ]


class Journal(metaclass=PoolMeta):
    __name__ = 'account.payment.journal'
    receipt_method = fields.Selection(
        RECEIPT_METHODS, "Receipt Method",
        help="How customers pay through this journal.\n"
        "Incoming payments can be recorded from invoices only on journals "
        "with a receipt method; cheques are then deposited to the bank "
        "with deposit slips.")

    @classmethod
    def validate_fields(cls, journals, field_names):
        super().validate_fields(journals, field_names)
        cls.check_cheque_clearing(journals, field_names)

    @classmethod
    def check_cheque_clearing(cls, journals, field_names=None):
        if field_names and not (
                field_names & {'receipt_method', 'clearing_account'}):
            return
        for journal in journals:
            if (journal.receipt_method == 'cheque'
                    and not journal.clearing_account):
                raise IncomingPaymentError(gettext(
                        'sales_management.msg_cheque_journal_clearing',
                        journal=journal.rec_name))


class Payment(metaclass=PoolMeta):
    __name__ = 'account.payment'
    receipt_method = fields.Function(fields.Selection(
            RECEIPT_METHODS, "Method"),
        'on_change_with_receipt_method', searcher='search_receipt_method')
    cheque_number = fields.Char(
        "Cheque Number",
        states={
            'invisible': Eval('receipt_method') != 'cheque',
            'readonly': Eval('state') != 'draft',
            })
    cheque_bank = fields.Char(
        "Drawee Bank",
        states={
            'invisible': Eval('receipt_method') != 'cheque',
            'readonly': Eval('state') != 'draft',
            },
        help="The bank of the customer that issued the cheque.")
    cheque_deposit = fields.Many2One(
        'sale.cheque.deposit', "Deposit Slip", readonly=True,
        ondelete='RESTRICT',
        states={
            'invisible': Eval('receipt_method') != 'cheque',
            })

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['account.invoice']

    @fields.depends('journal')
    def on_change_with_receipt_method(self, name=None):
        if self.journal:
            return self.journal.receipt_method

    @classmethod
    def search_receipt_method(cls, name, clause):
        return [('journal.receipt_method',) + tuple(clause[1:])]

    @classmethod
    def receive(cls, payments, date):
        "Record received payments: submit, process and succeed them"
        pool = Pool()
        Group = pool.get('account.payment.group')
        Move = pool.get('account.move')
        to_process = [p for p in payments if p.state == 'draft']
        cls.submit(to_process)
        for payment in to_process:
            def group(payment=payment):
                group = Group(
                    company=payment.company, journal=payment.journal,
                    kind=payment.kind)
                group.save()
                return group
            cls.process([payment], group)
        with Transaction().set_context(clearing_date=date):
            cls.succeed(payments)
        # The cheque (or transfer...) is received: its clearing move is
        # an accounting fact, post it now instead of leaving it in draft.
        Move.post([
                p.clearing_move for p in payments
                if p.clearing_move and p.clearing_move.state == 'draft'])

    @classmethod
    def check_cheque_deposit(cls, payments, deposit_id):
        """A cheque goes on or off a draft slip only, and only on a slip of
        its journal when received: a posted slip is an accounting fact"""
        pool = Pool()
        Deposit = pool.get('sale.cheque.deposit')
        deposit = Deposit(deposit_id) if deposit_id is not None else None
        for payment in payments:
            current = payment.cheque_deposit
            if current == deposit:
                continue
            for slip in [current, deposit]:
                if slip and slip.state != 'draft':
                    raise IncomingPaymentError(gettext(
                            'sales_management'
                            '.msg_payment_deposit_change_posted',
                            payment=payment.rec_name,
                            deposit=slip.rec_name))
            if deposit and (
                    payment.state != 'succeeded'
                    or payment.kind != 'receivable'
                    or payment.journal != deposit.payment_journal):
                raise IncomingPaymentError(gettext(
                        'sales_management.msg_deposit_payment_not_received',
                        payment=payment.rec_name,
                        deposit=deposit.rec_name))

    @classmethod
    def copy(cls, payments, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('cheque_deposit', None)
        return super().copy(payments, default=default)

    @classmethod
    def check_modification(cls, mode, payments, values=None, external=False):
        super().check_modification(
            mode, payments, values=values, external=external)
        if mode == 'write' and values and (
                'cheque_deposit' in values):
            cls.check_cheque_deposit(payments, values['cheque_deposit'])
        if mode == 'write' and values and 'state' in values:
            for payment in payments:
                if (payment.cheque_deposit
                        and payment.cheque_deposit.state == 'posted'):
                    raise IncomingPaymentError(gettext(
                            'sales_management.msg_payment_deposited',
                            payment=payment.rec_name,
                            deposit=payment.cheque_deposit.rec_name))
