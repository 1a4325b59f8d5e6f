# This file is part of the marketplace modules for Tryton.
from trytond.model import Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    marketplace_sales = fields.One2Many(
        'marketplace.sale', 'invoice', "Marketplace Sales", readonly=True,
        help="The marketplace sales created when the invoice was paid.")

    @classmethod
    def view_attributes(cls):
        # A customer invoice makes sales; the tab is empty on other kinds.
        return super().view_attributes() + [
            ('/form/notebook/page[@name="marketplace_sales"]', 'states', {
                    'invisible': Eval('type') != 'out',
                    }),
            ]

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
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        # A vendor product sold with no rate anywhere is refused before the
        # invoice is posted, not when the customer pays it.
        for invoice in invoices:
            if invoice.type == 'out' and invoice.state in {
                    'draft', 'validated'}:
                for line in invoice.lines:
                    if Sale.is_marketplace_line(line):
                        Sale.get_rates(line)
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
        paid; the sales already billed are kept (the user was warned when
        the payment was unreconciled)"""
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        invoice_ids = [i.id for i in invoices if i.type == 'out']
        if not invoice_ids:
            return
        with without_check_access():
            Sale.cancel(Sale.search([
                        ('invoice', 'in', invoice_ids),
                        ('state', '=', 'to_invoice'),
                        ]))


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    marketplace_sales = fields.One2Many(
        'marketplace.sale', 'invoice_line', "Marketplace Sales",
        readonly=True)
