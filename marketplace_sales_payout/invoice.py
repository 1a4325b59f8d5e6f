# This file is part of the marketplace modules for Tryton.
from trytond.model import ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    marketplace_self_billing = fields.Boolean(
        "Self-Billing", readonly=True,
        help="Issued by the company in the name and on behalf of the vendor.")
    marketplace_billed_sales = fields.One2Many(
        'marketplace.sale', 'vendor_invoice', "Billed Marketplace Sales",
        readonly=True)

    @classmethod
    def default_marketplace_self_billing(cls):
        return False

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
        return super().copy(invoices, default=default)
