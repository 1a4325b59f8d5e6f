# This file is part of the marketplace modules for Tryton.
import datetime

from trytond.i18n import gettext
from trytond.model import Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import UnpaidBilledSalesWarning


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    marketplace_sales = fields.One2Many(
        'marketplace.sale', 'invoice', "Marketplace Sales", readonly=True,
        help="The marketplace sales created when the invoice was paid.")

    def get_marketplace_paid_date(self):
        "The date the invoice was paid: its last reconciliation"
        pool = Pool()
        Date = pool.get('ir.date')
        dates = [
            l.reconciliation.date for l in self.lines_to_pay
            if l.reconciliation]
        with Transaction().set_context(company=self.company.id):
            return max(dates, default=None) or Date.today()

    @classmethod
    def _post(cls, invoices):
        # paid -> posted happens here, when a payment is unreconciled
        unpaid = [i for i in invoices if i.state == 'paid']
        if unpaid:
            cls._marketplace_unpaid(unpaid)
        super()._post(invoices)

    @classmethod
    @Workflow.transition('paid')
    def paid(cls, invoices):
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        super().paid(invoices)
        customer = [i for i in invoices if i.type == 'out']
        if customer:
            dates = {i.id: i.get_marketplace_paid_date() for i in customer}
            with without_check_access():
                Sale.create_from_invoices(
                    customer, lambda line: dates[line.invoice.id])

    @classmethod
    def _marketplace_unpaid(cls, invoices):
        """Cancel the sales still to invoice of invoices that are no longer
        paid; warn about the sales already billed, which are kept"""
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        Warning = pool.get('res.user.warning')
        invoice_ids = [i.id for i in invoices if i.type == 'out']
        if not invoice_ids:
            return
        with without_check_access():
            sales = Sale.search([
                    ('invoice', 'in', invoice_ids),
                    ('state', 'in', ['to_invoice', 'awaiting_payment', 'paid']),
                    ], order=[('id', 'ASC')])
            billed = [s for s in sales if s.state != 'to_invoice']
            if billed:
                invoice = billed[0].invoice
                key = Warning.format('marketplace_unpaid_billed', billed)
                if Warning.check(key):
                    raise UnpaidBilledSalesWarning(key, gettext(
                            'marketplace_sales.msg_unpaid_billed_sales',
                            invoice=invoice.rec_name,
                            sales=', '.join(
                                '"%s"' % s.rec_name for s in billed[:10])))
            Sale.cancel([s for s in sales if s.state == 'to_invoice'])


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    marketplace_sales = fields.One2Many(
        'marketplace.sale', 'invoice_line', "Marketplace Sales",
        readonly=True)
