# This file is part of the marketplace modules for Tryton.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from .common import RATE_DIGITS, check_rate
from .exceptions import VendorValidationError


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    marketplace_vendor = fields.Boolean(
        "Marketplace Vendor",
        help="The party sells its products through the marketplace.")
    marketplace_commission_rate = fields.Numeric(
        "Commission Rate", digits=RATE_DIGITS,
        states={
            'invisible': ~Eval('marketplace_vendor', False),
            },
        help="The share of the sales kept by the marketplace "
        "(taux de prélèvement).")
    marketplace_support_rate = fields.Numeric(
        "Discount Support Rate", digits=RATE_DIGITS,
        states={
            'invisible': ~Eval('marketplace_vendor', False),
            'required': Eval('marketplace_vendor', False),
            },
        help="The share of line discounts borne by the vendor "
        "(taux de prise en charge).")

    @classmethod
    def default_marketplace_vendor(cls):
        return False

    @classmethod
    def default_marketplace_support_rate(cls):
        return 0

    @classmethod
    def validate_fields(cls, parties, field_names):
        pool = Pool()
        Template = pool.get('product.template')
        super().validate_fields(parties, field_names)
        for party in parties:
            check_rate(party, 'marketplace_commission_rate')
            check_rate(party, 'marketplace_support_rate')
        if 'marketplace_vendor' in field_names:
            unflagged = [p for p in parties if not p.marketplace_vendor]
            if unflagged:
                templates = Template.search([
                        ('marketplace_vendor', 'in',
                            [p.id for p in unflagged]),
                        ], limit=5)
                if templates:
                    party = templates[0].marketplace_vendor
                    raise VendorValidationError(gettext(
                            'marketplace_sales'
                            '.msg_vendor_unflag_with_products',
                            party=party.rec_name,
                            products=', '.join(
                                t.rec_name for t in templates
                                if t.marketplace_vendor == party)))
