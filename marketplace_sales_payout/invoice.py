# This file is part of the marketplace modules for Tryton.
import datetime as dt
import html
import logging
from collections import OrderedDict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, dualmethod, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools.email_ import format_address
from trytond.transaction import Transaction, without_check_access
from trytond.url import host

from .exceptions import VendorInvoiceError
from .sendmail import SMTPBeforeCommit
from .tax import tax_codes

logger = logging.getLogger(__name__)


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    marketplace_self_billing = fields.Boolean(
        "Self-Billing", readonly=True,
        help="Issued by the company in the name and on behalf of the vendor.")
    marketplace_billed_sales = fields.One2Many(
        'marketplace.sale', 'vendor_invoice', "Billed Marketplace Sales",
        readonly=True)
    marketplace_period_start = fields.Date(
        "Billing Period Start", readonly=True,
        states={'invisible': ~Eval('marketplace_self_billing', False)},
        help="The first day of the payout period the invoice bills.")
    marketplace_period_end = fields.Date(
        "Billing Period End", readonly=True,
        states={'invisible': ~Eval('marketplace_self_billing', False)},
        help="The last day of the payout period the invoice bills.")
    marketplace_email_queued = fields.Timestamp(
        "E-mail Queued", readonly=True,
        states={'invisible': ~Eval('marketplace_self_billing', False)},
        help="When the e-mail to the vendor was last asked for.")
    marketplace_emailed = fields.Timestamp(
        "E-mailed", readonly=True,
        states={'invisible': ~Eval('marketplace_self_billing', False)},
        help="When the SMTP server last accepted the e-mail to the vendor.")
    # A mailing task that has not ended this long after a worker took it
    # died with its worker: the e-mail is queued again.
    _marketplace_email_lost = dt.timedelta(minutes=10)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # the e-mail to the vendor is followed on posted invoices
        cls._check_modify_exclude |= {
            'marketplace_email_queued', 'marketplace_emailed'}
        cls._buttons.update({
                'marketplace_email': {
                    'invisible': (~Eval('marketplace_self_billing', False)
                        | ~Eval('state').in_(['posted', 'paid'])),
                    'depends': ['marketplace_self_billing', 'state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        # A vendor invoice bills sales; the tab is empty on other kinds.
        return super().view_attributes() + [
            ('/form/notebook/page[@name="marketplace_billed_sales"]',
                'states', {
                    'invisible': Eval('type') != 'in',
                    }),
            ]

    @classmethod
    def default_marketplace_self_billing(cls):
        return False

    @classmethod
    @ModelView.button
    def marketplace_email(cls, invoices):
        "Send the self-billing e-mail again (queued)"
        not_mailed = cls.marketplace_queue_payout_emails(
            [i for i in invoices if i.marketplace_self_billing
                and i.state in {'posted', 'paid'}])
        if not_mailed:
            raise VendorInvoiceError(gettext(
                    'marketplace_sales_payout.msg_payout_no_email',
                    vendors=', '.join(sorted(
                            {i.party.rec_name for i in not_mailed}))))

    def _number_sequence(self, pattern=None):
        pool = Pool()
        Configuration = pool.get('marketplace.configuration')
        if self.type == 'in' and self.marketplace_self_billing:
            sequence = Configuration(1).self_billing_sequence
            if sequence:
                return sequence, self.accounting_date or self.invoice_date
        return super()._number_sequence(pattern=pattern)

    @classmethod
    def _billed_sales(cls, invoices, states):
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        ids = [i.id for i in invoices if i.type == 'in']
        if not ids:
            return []
        with without_check_access():
            return Sale.search([
                    ('vendor_invoice', 'in', ids),
                    ('state', 'in', states),
                    ])

    @classmethod
    @Workflow.transition('paid')
    def paid(cls, invoices):
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        super().paid(invoices)
        with without_check_access():
            Sale.pay(cls._billed_sales(invoices, ['awaiting_payment']))

    @staticmethod
    def _marketplace_taxes_pending(invoices):
        """Return the invoices whose taxes are still to compute or check:
        all but the draft self-billing invoices the payout is posting, whose
        taxes it computed and are final.

        The payout posts in the context _marketplace_payout_post, whose
        value is the same for the whole run: a context holding each chunk's
        ids would make every Cache keyed by the context (model names, access
        rules…) miss once per chunk."""
        if not Transaction().context.get('_marketplace_payout_post'):
            return invoices
        return [i for i in invoices
            if not (i.marketplace_self_billing and i.state == 'draft')]

    @dualmethod
    def update_taxes(cls, invoices, exception=False):
        # The payout computes the taxes of its invoices once, after creating
        # their lines, and nothing changes the lines before they are
        # posted; every write of a draft invoice while posting (employee,
        # number, amounts cache) and the move would compute them again
        super().update_taxes(
            cls._marketplace_taxes_pending(invoices), exception=exception)

    @classmethod
    def _check_taxes(cls, invoices):
        # The payout's lines took their taxes from on_change_product in
        # this transaction: checking them against it again is only its cost
        super()._check_taxes(cls._marketplace_taxes_pending(invoices))

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        # Leave out the values the invoice holds already, as stock.move and
        # bank.account do: an invoice created without number is not written
        # a second time (each write validates the invoice again)
        for name in ['number_alnum', 'number_digit']:
            if name in values and getattr(self, name, None) == values[name]:
                del values[name]
        return values

    @classmethod
    def _post(cls, invoices):
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        unpaid = [i for i in invoices if i.state == 'paid']
        super()._post(invoices)
        if unpaid:
            with without_check_access():
                Sale.wait_payment(cls._billed_sales(unpaid, ['paid']))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, invoices):
        cls._release_billed_sales(invoices)
        super().cancel(invoices)

    @classmethod
    def _release_billed_sales(cls, invoices):
        "The sales of cancelled or deleted vendor invoices go back to invoice"
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        sales = cls._billed_sales(invoices, ['awaiting_payment'])
        if sales:
            with without_check_access():
                Sale.write(sales, {
                        'vendor_invoice': None,
                        'vendor_invoice_line': None,
                        })
                Sale.restore(sales)

    @classmethod
    def delete(cls, invoices):
        cls._release_billed_sales(invoices)
        super().delete(invoices)

    @classmethod
    def copy(cls, invoices, default=None):
        default = {} if default is None else default.copy()
        default.setdefault('marketplace_billed_sales', None)
        default.setdefault('marketplace_self_billing', False)
        default.setdefault('marketplace_period_start', None)
        default.setdefault('marketplace_period_end', None)
        return super().copy(invoices, default=default)

    @property
    def marketplace_period(self):
        """The billing period (start, end): the payout period, else the
        dates of the first and last sale billed"""
        if self.marketplace_period_start and self.marketplace_period_end:
            return self.marketplace_period_start, self.marketplace_period_end
        dates = [s.date for s in self.marketplace_billed_sales if s.date]
        if dates:
            return min(dates), max(dates)
        return self.invoice_date, self.invoice_date

    @property
    def marketplace_tax_totals(self):
        """One (tax, description, base, amount) per VAT rate of the invoice:
        the invoice keeps a tax line per tax and account (goods and
        services taxes of the same rate are two taxes), the law asks for
        one total per rate"""
        totals = OrderedDict()
        for line in self.taxes:
            tax = line.tax
            if tax and tax.type == 'percentage':
                key = ('percentage', tax.rate) + tax_codes(tax)
            else:
                key = ('other', tax.id if tax else line.description)
            if key not in totals:
                totals[key] = [tax, line.description, Decimal(0), Decimal(0)]
            totals[key][2] += line.base
            totals[key][3] += line.amount
        return [tuple(v) for v in totals.values()]

    @property
    def marketplace_operation(self):
        """The category of the operation billed: 'goods', 'services' or
        'goods_services', from the products of the lines (the commission
        deducted is not what the vendor supplies)"""
        pool = Pool()
        Configuration = pool.get('marketplace.configuration')
        commission = Configuration(1).commission_product
        types = {l.product.type for l in self.lines
            if l.type == 'line' and l.product and l.product != commission}
        goods = bool(types & {'goods', 'assets'})
        services = 'service' in types
        if goods and services:
            return 'goods_services'
        return 'goods' if goods else 'services'

    @property
    def marketplace_due_dates(self):
        "The maturity dates of the amounts to pay, in order"
        return sorted({l.maturity_date or self.invoice_date
                for l in self.lines_to_pay})

    def marketplace_payout_email(self):
        "The e-mail contact mechanism the self-billing invoice is sent to"
        address = self.invoice_address or self.party
        return address.contact_mechanism_get('email', usage='invoice')

    @classmethod
    def marketplace_queue_payout_emails(cls, invoices):
        """Queue the e-mail of the self-billing invoices and return the
        invoices whose vendor has no e-mail address"""
        mailed, not_mailed = [], []
        for invoice in invoices:
            if invoice.marketplace_payout_email():
                mailed.append(invoice)
            else:
                not_mailed.append(invoice)
        if mailed:
            # The request of each e-mail, whose time names its Message-ID;
            # E-mailed is set again once the SMTP server accepts it
            cls.write(mailed, {
                    'marketplace_email_queued': dt.datetime.now(),
                    'marketplace_emailed': None,
                    })
            cls._marketplace_queue_send(mailed)
        return not_mailed

    @classmethod
    def _marketplace_queue_send(cls, invoices):
        # One task per invoice: workers share the e-mails and a failed
        # send holds up no other vendor's
        with Transaction().set_context(
                queue_name='marketplace_payout', queue_batch=1):
            cls.__queue__.marketplace_send_payout(invoices)

    @classmethod
    def marketplace_requeue_payout_emails(cls):
        """Queue again the e-mails asked for and never sent whose task is
        lost: a worker took it and died (a killed worker leaves its task
        taken and unfinished, and no worker takes it again).  Run by the
        scheduler."""
        pool = Pool()
        Queue = pool.get('ir.queue')
        lost = dt.datetime.now() - cls._marketplace_email_lost
        with without_check_access():
            pending = set()
            for task in Queue.search([
                        ('name', '=', 'marketplace_payout'),
                        ('finished_at', '=', None),
                        ['OR',
                            ('dequeued_at', '=', None),
                            ('dequeued_at', '>', lost),
                            ],
                        ]):
                instances = task.data.get('instances')
                if isinstance(instances, int):
                    instances = [instances]
                pending.update(instances or [])
            invoices = [i for i in cls.search([
                        ('marketplace_self_billing', '=', True),
                        ('state', 'in', ['posted', 'paid']),
                        ('marketplace_email_queued', '<', lost),
                        ('marketplace_emailed', '=', None),
                        ])
                if i.id not in pending]
            if invoices:
                logger.info("queueing again %s self-billing e-mails",
                    len(invoices))
                cls._marketplace_queue_send(invoices)
        return invoices

    def _marketplace_message_id(self):
        """The Message-ID of the e-mail asked for at marketplace_email_queued:
        the same on every try, another when the e-mail is asked again (None:
        Tryton makes one)"""
        queued = self.marketplace_email_queued
        if queued:
            return '<self-billing.%s.%s.%s@%s>' % (
                self.id, queued.strftime('%Y%m%d%H%M%S%f'),
                Transaction().database.name, host())

    @classmethod
    def marketplace_send_payout(cls, invoices):
        """E-mail each posted self-billing invoice to its vendor with the
        Autofacturation document attached (run by the queue), written with
        the e-mail template of the marketplace configuration in the
        vendor's language"""
        pool = Pool()
        Email = pool.get('ir.email')
        ModelData = pool.get('ir.model.data')
        Configuration = pool.get('marketplace.configuration')
        report_id = ModelData.get_id(
            'marketplace_sales_payout', 'report_payout')
        template = Configuration(1).payout_email_template
        # Two tries of the same e-mail never run at once: the later one
        # finds it sent
        cls.lock(invoices)
        smtp = Transaction().join(SMTPBeforeCommit())
        sent, unmailable = [], []
        for invoice in cls.browse([i.id for i in invoices]):
            if (not invoice.marketplace_self_billing
                    or invoice.state not in {'posted', 'paid'}):
                continue
            if (invoice.marketplace_email_queued
                    and invoice.marketplace_emailed):
                # sent by an earlier try
                continue
            mechanism = invoice.marketplace_payout_email()
            if not mechanism:
                logger.info(
                    "self-billing invoice %s not e-mailed: "
                    "%s has no e-mail", invoice.number, invoice.party.rec_name)
                # no longer asked: the scheduler stops trying
                unmailable.append(invoice)
                continue
            language = invoice.marketplace_language
            with Transaction().set_context(language=language):
                if template:
                    subject, body, reports = cls._marketplace_email_template(
                        template, invoice)
                else:
                    subject, body, reports = cls._marketplace_email_default(
                        invoice)
            if report_id not in reports:
                reports.insert(0, report_id)
            smtp.message_id = invoice._marketplace_message_id()
            Email.send(
                to=format_address(
                    mechanism.value, mechanism.name or invoice.party.rec_name),
                subject=subject,
                body=body,
                record=(cls.__name__, invoice.id),
                reports=reports)
            sent.append(invoice)
        if sent:
            cls.write(sent, {'marketplace_emailed': dt.datetime.now()})
        if unmailable:
            cls.write(unmailable, {'marketplace_email_queued': None})

    @property
    def marketplace_language(self):
        "The code of the language of the vendor, else of the company"
        pool = Pool()
        Config = pool.get('ir.configuration')
        for party in [self.party, self.company.party]:
            if party.lang:
                return party.lang.code
        return Config.get_language()

    @classmethod
    def _marketplace_email_template(cls, template, invoice):
        "Return subject, HTML body and report ids from the template"
        pool = Pool()
        EmailTemplate = pool.get('ir.email.template')
        # read again in the context language: subject and body are
        # translated fields
        values = EmailTemplate(template.id).get(invoice)
        return (values.get('subject') or '', values.get('body') or '',
            list(values.get('reports') or []))

    @classmethod
    def _marketplace_email_default(cls, invoice):
        "Return subject, HTML body and report ids without template"
        subject = gettext(
            'marketplace_sales_payout.msg_payout_email_subject',
            number=invoice.number,
            company=invoice.company.rec_name)
        body = gettext(
            'marketplace_sales_payout.msg_payout_email_body',
            vendor=invoice.party.rec_name,
            number=invoice.number,
            company=invoice.company.rec_name,
            amount=invoice.currency.round(invoice.total_amount),
            currency=invoice.currency.code)
        return subject, html.escape(body).replace('\n', '<br/>'), []
