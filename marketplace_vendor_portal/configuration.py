# This file is part of the marketplace modules for Tryton.
from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'marketplace.configuration'

    portal_shows_customers = fields.Boolean(
        "Portal Shows Customers",
        help="Show the customers' names to vendors in the vendor portal "
        "(otherwise they see only the customer invoice number and date).")

    @classmethod
    def default_portal_shows_customers(cls):
        return False
