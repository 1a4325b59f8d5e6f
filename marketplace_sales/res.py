# This file is part of the marketplace modules for Tryton.
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

    @classmethod
    def get_marketplace_vendors(cls):
        "The vendor party ids the current user is limited to"
        user_id = Transaction().user
        if not user_id:
            return ()
        user = cls(user_id)
        if user.marketplace_vendor:
            return (user.marketplace_vendor.id,)
        return ()
