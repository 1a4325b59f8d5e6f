# This file is part of the marketplace modules for Tryton.
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import IncomingPaymentError


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'
    sale_type = fields.Many2One(
        'sale.type', "Sale Type", ondelete='RESTRICT',
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('type') != 'out',
            },
        help="Its sales conditions are printed on the invoice.")
    incoming_payments = fields.Function(fields.Many2Many(
            'account.payment', None, None, "Incoming Payments",
            states={
                'invisible': Eval('type') != 'out',
                }),
        'get_incoming_payments')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'receive_payment': {
                    'invisible': (
                        (Eval('type') != 'out')
                        | (Eval('state') != 'posted')),
                    'depends': ['type', 'state'],
                    },
                })

    @property
    def sales_conditions(self):
        "The sales conditions to print, one string per line"
        if self.sale_type and self.sale_type.conditions:
            return self.sale_type.conditions.splitlines()
        return []

    def get_incoming_payments(self, name):
        return [
            p.id for l in self.lines_to_pay for p in l.payments
            if p.kind == 'receivable']

    @classmethod
    @ModelView.button_action('sales_management.wizard_receive_payment')
    def receive_payment(cls, invoices):
        pass

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('sale_type', None)
        return super().copy(invoices, default=default)


class ReceivePaymentStart(ModelView):
    "Record Incoming Payment"
    __name__ = 'account.invoice.receive_payment.start'
    invoice = fields.Many2One('account.invoice', "Invoice", readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    journal = fields.Many2One(
        'account.payment.journal', "Payment Journal", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('currency', '=', Eval('currency', -1)),
            ('receipt_method', '!=', None),
            ])
    receipt_method = fields.Function(fields.Selection(
            'get_receipt_methods', "Method"),
        'on_change_with_receipt_method')
    date = fields.Date("Date", required=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        domain=[('amount', '>', 0)])
    cheque_number = fields.Char(
        "Cheque Number",
        states={
            'invisible': Eval('receipt_method') != 'cheque',
            'required': Eval('receipt_method') == 'cheque',
            })
    cheque_bank = fields.Char(
        "Drawee Bank",
        states={
            'invisible': Eval('receipt_method') != 'cheque',
            })
    reference = fields.Char("Reference")

    @classmethod
    def get_receipt_methods(cls):
        pool = Pool()
        Journal = pool.get('account.payment.journal')
        return Journal.fields_get(['receipt_method'])[
            'receipt_method']['selection']

    @fields.depends('journal')
    def on_change_with_receipt_method(self, name=None):
        if self.journal:
            return self.journal.receipt_method


class ReceivePayment(Wizard):
    "Record Incoming Payment"
    __name__ = 'account.invoice.receive_payment'
    start = StateView('account.invoice.receive_payment.start',
        'sales_management.receive_payment_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Record", 'receive', 'tryton-ok', default=True),
            ])
    receive = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Date = pool.get('ir.date')
        invoice = self.record
        self.check_invoice(invoice)
        with Transaction().set_context(company=invoice.company.id):
            today = Date.today()
        return {
            'invoice': invoice.id,
            'company': invoice.company.id,
            'currency': invoice.currency.id,
            'date': today,
            'amount': invoice.amount_to_pay,
            'reference': invoice.number,
            }

    @staticmethod
    def check_invoice(invoice):
        if invoice.type != 'out' or invoice.state != 'posted':
            raise IncomingPaymentError(gettext(
                    'sales_management.msg_receive_payment_invoice_state',
                    invoice=invoice.rec_name))
        if not [l for l in invoice.lines_to_pay if not l.reconciliation]:
            raise IncomingPaymentError(gettext(
                    'sales_management.msg_receive_payment_nothing_due',
                    invoice=invoice.rec_name))

    def get_payment(self):
        pool = Pool()
        Payment = pool.get('account.payment')
        invoice = self.record
        lines = sorted(
            (l for l in invoice.lines_to_pay if not l.reconciliation),
            key=lambda l: (l.maturity_date or l.date, l.id))
        return Payment(
            company=invoice.company,
            journal=self.start.journal,
            kind='receivable',
            party=invoice.party,
            line=lines[0],
            date=self.start.date,
            amount=self.start.amount,
            reference=self.start.reference,
            origin=invoice,
            cheque_number=self.start.cheque_number,
            cheque_bank=self.start.cheque_bank,
            )

    def check_start(self):
        "The client enforces the form; an RPC caller must be told too"
        start = self.start
        if start.amount is None or start.amount <= 0:
            raise IncomingPaymentError(gettext(
                    'sales_management.msg_receive_payment_amount',
                    invoice=self.record.rec_name,
                    amount=start.amount))
        if (start.journal and start.journal.receipt_method == 'cheque'
                and not start.cheque_number):
            raise IncomingPaymentError(gettext(
                    'sales_management.msg_receive_payment_cheque_number',
                    invoice=self.record.rec_name))

    def transition_receive(self):
        pool = Pool()
        Payment = pool.get('account.payment')
        self.check_invoice(self.record)
        self.check_start()
        payment = self.get_payment()
        payment.save()
        Payment.receive([payment], self.start.date)
        return 'end'
