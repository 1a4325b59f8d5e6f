# This file is part of the marketplace modules for Tryton.
from trytond.model import Index
from trytond.pool import PoolMeta


class Sale(metaclass=PoolMeta):
    __name__ = 'marketplace.sale'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            # A vendor's sales page: its rows in the page order (newest
            # first) without sorting them all, and its totals from this
            # index alone (PostgreSQL index-only scan), not every sale row
            Index(t, (t.vendor, Index.Range()), (t.date, Index.Range()),
                (t.id, Index.Range()),
                include=[t.state, t.net_amount, t.commission_amount,
                    t.payout_amount]))
