# This file is part of the marketplace modules for Tryton.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class SaleType(DeactivableMixin, ModelSQL, ModelView):
    "Sale Type"
    __name__ = 'sale.type'
    name = fields.Char("Name", required=True, translate=True)
    conditions = fields.Text(
        "Sales Conditions", translate=True,
        help="Printed on the quotations and invoices of this type.")
    payment_term = fields.Many2One(
        'account.invoice.payment_term', "Default Payment Term",
        ondelete='RESTRICT',
        help="Proposed on the sales of this type.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'
    sale_type = fields.Many2One(
        'sale.type', "Type", ondelete='RESTRICT',
        states={
            'readonly': Eval('state') != 'draft',
            })

    @fields.depends('sale_type', 'payment_term')
    def on_change_sale_type(self):
        if self.sale_type and self.sale_type.payment_term:
            self.payment_term = self.sale_type.payment_term

    @fields.depends('sale_type', methods=['on_change_sale_type'])
    def on_change_party(self):
        super().on_change_party()
        # The type's payment term wins over the party's one
        self.on_change_sale_type()

    @property
    def sales_conditions(self):
        "The sales conditions to print, one string per line"
        if self.sale_type and self.sale_type.conditions:
            return self.sale_type.conditions.splitlines()
        return []

    def _get_invoice(self):
        invoice = super()._get_invoice()
        invoice.sale_type = self.sale_type
        return invoice
