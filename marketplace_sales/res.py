# This file is part of the marketplace modules for Tryton.
import logging

from sql import Null

from trytond import backend
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        cls._retire_marketplace_vendors()

    @classmethod
    def _retire_marketplace_vendors(cls):
        """Deactivate the users of the retired vendor portal group.

        Vendors are not ERP users: an ERP user reaches every model that has
        no access record for its groups, so no set of groups and record rules
        can keep a vendor to its own rows. The former users linked to a
        vendor (column marketplace_vendor) are deactivated; the column is
        kept so that the vendor portal module turns them into web users."""
        table_h = backend.TableHandler(cls)
        if not table_h.column_exist('marketplace_vendor'):
            return
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(
                table.id, table.login,
                where=(table.marketplace_vendor != Null)
                & (table.active == True)))  # noqa: E712
        users = cursor.fetchall()
        if not users:
            return
        cursor.execute(*table.update(
                [table.active], [False],
                where=table.id.in_([u[0] for u in users])))
        for user_id, login in users:
            logger.warning(
                "res.user %s (%s) was a marketplace vendor portal user: "
                "deactivated, vendors use the web portal of the "
                "marketplace_vendor_portal module", user_id, login)
