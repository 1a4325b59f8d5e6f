# This file is part of the marketplace modules for Tryton.
import datetime

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from . import bulk

ACTIONS = [
    ('email', "E-mail"),
    ('post', "Post Only"),
    ('skip', "Skip"),
    ('error', "Error"),
    ]
BILLED = {'email', 'post'}


class PayoutStart(ModelView):
    "Marketplace Payout"
    __name__ = 'marketplace.payout.start'

    from_date = fields.Date("From Date", required=True)
    to_date = fields.Date("To Date", required=True)
    vendors = fields.Many2Many(
        'party.party', None, None, "Vendors",
        domain=[('marketplace_vendor', '=', True)],
        help="Leave empty to bill every vendor.")

    @classmethod
    def default_from_date(cls):
        return cls._default_period()[0]

    @classmethod
    def default_to_date(cls):
        return cls._default_period()[1]

    @classmethod
    def _default_period(cls):
        """The oldest month before the current one that still has sales to
        invoice, else the previous month"""
        pool = Pool()
        Date = pool.get('ir.date')
        Sale = pool.get('marketplace.sale')
        month = Date.today().replace(day=1)
        sales = Sale.search([
                ('state', '=', 'to_invoice'),
                ('date', '<', month),
                ], order=[('date', 'ASC'), ('id', 'ASC')], limit=1)
        if sales:
            from_date = sales[0].date.replace(day=1)
        else:
            from_date = (month - datetime.timedelta(days=1)).replace(day=1)
        to_date = (from_date + datetime.timedelta(days=31)).replace(
            day=1) - datetime.timedelta(days=1)
        return from_date, to_date


class PayoutPreview(ModelView):
    "Marketplace Payout Preview"
    __name__ = 'marketplace.payout.preview'

    lines = fields.One2Many(
        'marketplace.payout.preview.line', None, "Vendors", readonly=True)
    billable = fields.Boolean("Billable", readonly=True,
        help="At least one vendor is billed.")


class PayoutPreviewLine(ModelView):
    "Marketplace Payout Preview Line"
    __name__ = 'marketplace.payout.preview.line'

    vendor = fields.Many2One('party.party', "Vendor", readonly=True)
    sales = fields.Integer("Sales", readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    net = Monetary(
        "Net", currency='currency', digits='currency', readonly=True)
    commission = Monetary(
        "Commission", currency='currency', digits='currency', readonly=True)
    payout = Monetary(
        "Payout", currency='currency', digits='currency', readonly=True)
    action = fields.Selection(ACTIONS, "Action", readonly=True)
    reason = fields.Char("Reason", readonly=True)


class PayoutDone(ModelView):
    "Marketplace Payout Done"
    __name__ = 'marketplace.payout.done'

    invoices = fields.Many2Many(
        'account.invoice', None, None, "Vendor Invoices", readonly=True)
    not_mailed = fields.Text(
        "Not E-mailed", readonly=True,
        help="Vendors without an e-mail address: "
        "print their self-billing invoice and send it by post.")
    skipped = fields.Text(
        "Skipped Vendors", readonly=True,
        help="Their sales stay to invoice for a later period.")


class Payout(Wizard):
    "Bill Vendor Sales"
    __name__ = 'marketplace.payout'

    start = StateView(
        'marketplace.payout.start',
        'marketplace_sales_payout.payout_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Preview", 'preview', 'tryton-forward', default=True),
            ])
    preview = StateView(
        'marketplace.payout.preview',
        'marketplace_sales_payout.payout_preview_view_form', [
            Button("Back", 'start', 'tryton-back'),
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Bill", 'bill', 'tryton-ok', default=True,
                states={'readonly': ~Eval('billable', False)}),
            ])
    bill = StateTransition()
    done = StateView(
        'marketplace.payout.done',
        'marketplace_sales_payout.payout_done_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Open Invoices", 'open_', 'tryton-forward',
                default=True),
            ])
    open_ = StateAction('account_invoice.act_invoice_in_form')

    def _preview_rows(self):
        Sale = Pool().get('marketplace.sale')
        return Sale.payout_preview(
            self.start.from_date, self.start.to_date,
            self.start.vendors or None)

    def default_preview(self, fields):
        rows = self._preview_rows()
        return {
            'lines': [{
                    'vendor': r['vendor'],
                    'sales': r['sales'],
                    'currency': r['currency'],
                    'net': r['net'],
                    'commission': r['commission'],
                    'payout': r['payout'],
                    'action': r['action'],
                    'reason': r['reason'],
                    } for r in rows],
            'billable': any(r['action'] in BILLED for r in rows),
            }

    def _bill_selection(self):
        """Return the ids of the vendors to bill and the text of the others
        (None if none): the preview's rows, one per vendor, are not kept
        while billing"""
        pool = Pool()
        Party = pool.get('party.party')
        Currency = pool.get('currency.currency')
        rows = self._preview_rows()
        vendors = sorted({r['vendor'] for r in rows if r['action'] in BILLED})
        skipped = '\n'.join(
            '%s: %s %s (%s)' % (
                Party(r['vendor']).rec_name, r['payout'],
                Currency(r['currency']).code, r['reason'])
            for r in rows if r['action'] not in BILLED) or None
        return vendors, skipped

    def transition_bill(self):
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        Party = pool.get('party.party')
        vendors, self.done.skipped = self._bill_selection()
        # The client sends the preview's form back: its rows, one per
        # vendor, would be held as records for the whole run and saved
        # again with the wizard's session; the selection above replaces them
        self.preview.lines = []
        # With no vendor to bill, bill the selection anyway: it raises the
        # error that says why (configuration, period, minimum, legal data)
        invoices, _, not_mailed = Sale.payout(
            self.start.from_date, self.start.to_date,
            bulk.browse(Party, vendors) if vendors else self.start.vendors)
        self.done.invoices = invoices
        self.done.not_mailed = '\n'.join(
            gettext('marketplace_sales_payout.msg_payout_done_not_mailed',
                vendor=i.party.rec_name, number=i.number)
            for i in not_mailed) or None
        # Say who was skipped or not e-mailed; otherwise open the invoices
        if self.done.skipped or not_mailed:
            return 'done'
        return 'open_'

    def default_done(self, fields):
        return {
            'invoices': [i.id for i in self.done.invoices],
            'skipped': self.done.skipped,
            'not_mailed': self.done.not_mailed,
            }

    def do_open_(self, action):
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', [i.id for i in self.done.invoices])])
        action['domains'] = []
        return action, {}
