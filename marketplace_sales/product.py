# This file is part of the marketplace modules for Tryton.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Bool, Eval

from .common import RATE_DIGITS, check_rate
from .exceptions import VendorValidationError


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    marketplace_vendor = fields.Many2One(
        'party.party', "Marketplace Vendor", ondelete='RESTRICT',
        help="The vendor on whose behalf the product is sold.")
    marketplace_commission_rate = fields.Numeric(
        "Marketplace Commission Rate", digits=RATE_DIGITS,
        states={
            'invisible': ~Bool(Eval('marketplace_vendor')),
            },
        help="Overrides the vendor's commission rate for this product. "
        "Leave empty to use the vendor's rate.")

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        for template in templates:
            check_rate(template, 'marketplace_commission_rate')
            vendor = template.marketplace_vendor
            if vendor and not vendor.marketplace_vendor:
                raise VendorValidationError(gettext(
                        'marketplace_sales.msg_vendor_not_flagged',
                        party=vendor.rec_name,
                        product=template.rec_name))
