# This file is part of the marketplace modules for Tryton.
from decimal import Decimal

from sql.aggregate import Count, Sum

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.company import CompanyReport
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import DepositAccessError, DepositError
from .report import PDFReportMixin


class ChequeDeposit(Workflow, ModelSQL, ModelView):
    "Cheque Deposit Slip"
    __name__ = 'sale.cheque.deposit'
    _rec_name = 'number'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    date = fields.Date("Date", required=True, states=_states)
    payment_journal = fields.Many2One(
        'account.payment.journal', "Cheque Journal", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('receipt_method', '=', 'cheque'),
            ],
        states={
            'readonly': (Eval('state') != 'draft') | Eval('payments', [0]),
            },
        help="The payment journal of the received cheques.")
    journal = fields.Many2One(
        'account.journal', "Journal", required=True, states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The journal of the deposit move.")
    bank = fields.Many2One(
        'bank.account', "Bank Account", ondelete='RESTRICT',
        domain=[
            ('owners', '=', Eval('company_party', -1)),
            ],
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="The bank account of the company where the cheques are "
        "deposited, printed with its IBAN on the slip (proposed from the "
        "sales configuration).")
    bank_account = fields.Many2One(
        'account.account', "Bank Ledger Account", required=True,
        states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('party_required', '=', False),
            ],
        help="The account debited with the total of the cheques.")
    company_party = fields.Function(fields.Many2One(
            'party.party', "Company Party",
            context={
                'company': Eval('company', -1),
                },
            depends={'company'}),
        'on_change_with_company_party')
    payments = fields.One2Many(
        'account.payment', 'cheque_deposit', "Cheques",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('journal', '=', Eval('payment_journal', -1)),
            ('kind', '=', 'receivable'),
            ('state', '=', 'succeeded'),
            ],
        add_remove=[
            ('cheque_deposit', '=', None),
            ('state', '=', 'succeeded'),
            ],
        states=_states)
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"),
        'on_change_with_currency')
    amount = fields.Function(Monetary(
            "Amount", currency='currency', digits='currency'),
        'get_amount')
    cheque_count = fields.Function(fields.Integer("Cheques"), 'get_amount')
    move = fields.Many2One('account.move', "Move", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('posted', "Posted"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'posted'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'add_waiting': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'post': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'draft'

    @classmethod
    def _configuration_default(cls, name):
        "The default of the sales configuration for the context company"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        company = Transaction().context.get('company')
        if company is None:
            return None
        value = Configuration(1).get_multivalue(name, company=company)
        return value.id if value else None

    @classmethod
    def default_payment_journal(cls):
        return cls._configuration_default('deposit_payment_journal')

    @classmethod
    def default_journal(cls):
        return cls._configuration_default('deposit_journal')

    @classmethod
    def default_bank(cls):
        return cls._configuration_default('deposit_bank')

    @classmethod
    def default_bank_account(cls):
        return cls._configuration_default('deposit_bank_account')

    @fields.depends('company')
    def on_change_with_company_party(self, name=None):
        if self.company:
            return self.company.party

    @classmethod
    def default_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        return Date.today()

    @fields.depends('payment_journal')
    def on_change_with_currency(self, name=None):
        if self.payment_journal:
            return self.payment_journal.currency

    @fields.depends('payments')
    def on_change_with_amount(self):
        return sum((p.amount or 0 for p in self.payments), Decimal(0))

    @classmethod
    def get_amount(cls, deposits, names):
        pool = Pool()
        Payment = pool.get('account.payment')
        cursor = Transaction().connection.cursor()
        payment = Payment.__table__()
        amounts = {d.id: Decimal(0) for d in deposits}
        counts = {d.id: 0 for d in deposits}
        for sub_ids in cls._sub_ids(deposits):
            cursor.execute(*payment.select(
                    payment.cheque_deposit, Sum(payment.amount),
                    Count(payment.id),
                    where=fields.SQL_OPERATORS['in'](
                        payment.cheque_deposit, sub_ids),
                    group_by=payment.cheque_deposit))
            for deposit_id, amount, count in cursor:
                # SQLite returns float for SUM of numeric
                amounts[deposit_id] = Decimal(str(amount or 0))
                counts[deposit_id] = count
        for deposit in deposits:
            if deposit.currency:
                amounts[deposit.id] = deposit.currency.round(
                    amounts[deposit.id])
        result = {}
        if 'amount' in names:
            result['amount'] = amounts
        if 'cheque_count' in names:
            result['cheque_count'] = counts
        return result

    @staticmethod
    def _sub_ids(records):
        for sub in grouped_slice(records, backend.MAX_QUERY_PARAMS):
            yield [r.id for r in sub]

    def get_rec_name(self, name):
        return self.number or str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('number',) + tuple(clause[1:])]

    @classmethod
    def check_modification(cls, mode, deposits, values=None, external=False):
        super().check_modification(
            mode, deposits, values=values, external=external)
        if mode == 'delete':
            for deposit in deposits:
                if deposit.state == 'posted':
                    raise DepositAccessError(gettext(
                            'sales_management.msg_deposit_delete_posted',
                            deposit=deposit.rec_name))

    @classmethod
    def copy(cls, deposits, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number', None)
        default.setdefault('move', None)
        default.setdefault('payments', None)
        return super().copy(deposits, default=default)

    @classmethod
    def waiting_cheques_domain(cls, journal):
        return [
            ('journal', '=', journal.id),
            ('kind', '=', 'receivable'),
            ('state', '=', 'succeeded'),
            ('cheque_deposit', '=', None),
            ]

    @classmethod
    @ModelView.button
    def add_waiting(cls, deposits):
        "Add every cheque received and not yet on a deposit slip"
        pool = Pool()
        Payment = pool.get('account.payment')
        for deposit in deposits:
            payments = Payment.search(
                cls.waiting_cheques_domain(deposit.payment_journal),
                order=[('date', 'ASC'), ('id', 'ASC')])
            if not payments and not deposit.payments:
                raise DepositError(gettext(
                        'sales_management.msg_deposit_no_cheque_waiting',
                        journal=deposit.payment_journal.rec_name))
            Payment.write(payments, {'cheque_deposit': deposit.id})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, deposits):
        pool = Pool()
        Payment = pool.get('account.payment')
        # Release the cheques for another slip
        Payment.write(
            [p for d in deposits for p in d.payments],
            {'cheque_deposit': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, deposits):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('posted')
    def post(cls, deposits):
        pool = Pool()
        Move = pool.get('account.move')
        Line = pool.get('account.move.line')
        Payment = pool.get('account.payment')
        Sequence = pool.get('ir.sequence.strict')
        ModelData = pool.get('ir.model.data')

        cls.lock(deposits)
        sequence = Sequence(ModelData.get_id(
                'sales_management', 'sequence_cheque_deposit'))
        moves = []
        for deposit in deposits:
            deposit.check_payments()
            move = deposit.get_move()
            moves.append(move)
            deposit.move = move
            if not deposit.number:
                with Transaction().set_context(company=deposit.company.id):
                    deposit.number = sequence.get()
        Move.save(moves)
        cls.save(deposits)
        Move.post(moves)

        to_reconcile = []
        payments = []
        for deposit in deposits:
            clearing_account = deposit.payment_journal.clearing_account
            if not clearing_account.reconcile:
                payments.extend(deposit.payments)
                continue
            lines = {
                l.origin: l for l in deposit.move.lines
                if l.account == clearing_account}
            for payment in deposit.payments:
                clearing_lines = [
                    l for l in payment.clearing_lines
                    if not l.reconciliation]
                line = lines.get(payment)
                if line and clearing_lines:
                    to_reconcile.append([line] + clearing_lines)
                payments.append(payment)
        if to_reconcile:
            Line.reconcile(*to_reconcile)
        Payment.update_reconciled(payments)

    def check_payments(self):
        if not self.payments:
            raise DepositError(gettext(
                    'sales_management.msg_deposit_no_cheque',
                    deposit=self.rec_name))
        clearing_account = self.payment_journal.clearing_account
        if not clearing_account:
            raise DepositError(gettext(
                    'sales_management.msg_cheque_journal_clearing',
                    journal=self.payment_journal.rec_name))
        for payment in self.payments:
            if (payment.state != 'succeeded'
                    or payment.journal != self.payment_journal
                    or not payment.clearing_move):
                raise DepositError(gettext(
                        'sales_management.msg_deposit_payment_not_received',
                        payment=payment.rec_name,
                        deposit=self.rec_name))

    def _clearing_amount(self, payment):
        "The company amount of the cheque on the clearing account"
        return sum(
            (l.debit - l.credit for l in payment.clearing_lines),
            Decimal(0))

    def get_move(self):
        pool = Pool()
        Move = pool.get('account.move')
        Line = pool.get('account.move.line')
        Period = pool.get('account.period')

        clearing_account = self.payment_journal.clearing_account
        period = Period.find(self.company, date=self.date)
        lines = []
        total = Decimal(0)
        for payment in self.payments:
            amount = self._clearing_amount(payment)
            total += amount
            line = Line(
                account=clearing_account,
                debit=Decimal(0) if amount >= 0 else -amount,
                credit=amount if amount >= 0 else Decimal(0),
                origin=payment,
                description=payment.cheque_number,
                )
            if clearing_account.party_required:
                line.party = payment.clearing_party
            lines.append(line)
        counterpart = Line(
            account=self.bank_account,
            debit=total if total >= 0 else Decimal(0),
            credit=Decimal(0) if total >= 0 else -total,
            )
        lines.append(counterpart)
        return Move(
            company=self.company,
            journal=self.journal,
            period=period,
            date=self.date,
            origin=self,
            description=self.number,
            lines=lines,
            )


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['sale.cheque.deposit']


class MoveLine(metaclass=PoolMeta):
    __name__ = 'account.move.line'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['account.payment']


class ChequeDepositReport(PDFReportMixin, CompanyReport):
    __name__ = 'sale.cheque.deposit'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['sorted_payments'] = lambda deposit: sorted(
            deposit.payments, key=lambda p: (p.date, p.id))
        return context
