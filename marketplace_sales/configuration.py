# This file is part of the marketplace modules for Tryton.
from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pyson import Id

from .common import RATE_DIGITS, check_rate


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Marketplace Configuration"
    __name__ = 'marketplace.configuration'

    default_commission_rate = fields.Numeric(
        "Default Commission Rate", digits=RATE_DIGITS,
        help="Commission kept by the marketplace when neither the product "
        "nor its vendor defines a rate.")
    commission_product = fields.Many2One(
        'product.product', "Commission Product",
        domain=[('type', '=', 'service')],
        help="The service product used for the negative commission line "
        "of vendor payout invoices.")
    payout_journal = fields.Many2One(
        'account.journal', "Payout Journal",
        domain=[('type', '=', 'expense')],
        help="The journal of the self-billed vendor invoices.")
    self_billing_sequence = fields.Many2One(
        'ir.sequence.strict', "Self-Billing Sequence",
        domain=[
            ('sequence_type', '=',
                Id('marketplace_sales', 'sequence_type_self_billing')),
            ],
        help="Numbers the self-billed vendor invoices.")
    minimum_payout = fields.Numeric(
        "Minimum Payout", digits=(16, 2),
        help="Vendors whose payout for a period is below this amount are "
        "not billed; their sales wait for a later period.")
    payout_email_template = fields.Many2One(
        'ir.email.template', "Payout Email Template",
        domain=[('model.name', '=', 'account.invoice')],
        help="The email sent to vendors with their self-billed invoice.")

    def get_rec_name(self, name):
        # A singleton has no name of its own: messages name the model
        return self.__names__()['model']

    @classmethod
    def default_minimum_payout(cls):
        return 0

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        for record in records:
            check_rate(record, 'default_commission_rate')
            if record.minimum_payout is not None and record.minimum_payout < 0:
                raise ValidationError(gettext(
                        'marketplace_sales.msg_minimum_payout_negative'))
