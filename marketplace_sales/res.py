# This file is part of the marketplace modules for Tryton.
from trytond.cache import Cache
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    marketplace_vendor = fields.Many2One(
        'party.party', "Marketplace Vendor",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="For vendor portal users: the vendor whose marketplace sales "
        "and vendor invoices the user may see.")
    # Asked by every record rule evaluation (ir.rule cache key): reading the
    # user each time cost a query per search
    _marketplace_vendors_cache = Cache(
        'res_user.get_marketplace_vendors', context=False)

    @classmethod
    def get_marketplace_vendors(cls):
        "The vendor party ids the current user is limited to"
        user_id = Transaction().user
        if not user_id:
            return ()
        vendors = cls._marketplace_vendors_cache.get(user_id)
        if vendors is None:
            user = cls(user_id)
            vendors = (
                (user.marketplace_vendor.id,) if user.marketplace_vendor
                else ())
            cls._marketplace_vendors_cache.set(user_id, vendors)
        return vendors

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        if mode != 'write' or (
                field_names is None or 'marketplace_vendor' in field_names):
            cls._marketplace_vendors_cache.clear()
