# This file is part of the marketplace modules for Tryton.
import logging

from sql import Literal, Null
from sql.functions import CurrentTimestamp, Lower

from trytond import backend
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    @property
    def marketplace_vendor(self):
        "The vendor party the web user may see in the portal, or None"
        if (self.active and self.party and self.party.active
                and self.party.marketplace_vendor):
            return self.party

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        cls._convert_marketplace_vendor_users()

    @classmethod
    def _convert_marketplace_vendor_users(cls):
        """Turn the ERP users of the retired vendor portal group into web
        users of their vendor.

        marketplace_sales deactivates those users and keeps their vendor in
        the res_user.marketplace_vendor column; each one becomes an active
        web user with the same e-mail and the vendor as party, without a
        password: the vendor sets it through the password reset e-mail. A
        user without e-mail cannot log in to the portal and is only logged.
        The column is then emptied so that the conversion runs once."""
        pool = Pool()
        ResUser = pool.get('res.user')
        if not backend.TableHandler.table_exist(ResUser._table):
            return
        res_user_h = backend.TableHandler(ResUser)
        if not res_user_h.column_exist('marketplace_vendor'):
            return
        cursor = Transaction().connection.cursor()
        res_user = ResUser.__table__()
        web_user = cls.__table__()
        cursor.execute(*res_user.select(
                res_user.id, res_user.login, res_user.email,
                res_user.marketplace_vendor,
                where=res_user.marketplace_vendor != Null,
                order_by=res_user.id))
        for user_id, login, email, vendor_id in cursor.fetchall():
            email = (email or '').strip().lower()
            if not email:
                logger.warning(
                    "res.user %s (%s) of vendor party %s was not converted "
                    "to a web user: it has no e-mail; create the vendor's "
                    "web user by hand", user_id, login, vendor_id)
            else:
                cursor.execute(*web_user.select(
                        web_user.id,
                        where=(Lower(web_user.email) == email)
                        & (web_user.active == Literal(True))))
                if cursor.fetchone():
                    logger.warning(
                        "res.user %s (%s) of vendor party %s: a web user "
                        "with e-mail %s exists already, none created",
                        user_id, login, vendor_id, email)
                else:
                    cursor.execute(*web_user.insert(
                            [web_user.email, web_user.party,
                                web_user.active, web_user.email_valid,
                                web_user.create_uid, web_user.create_date],
                            [[email, vendor_id, True, False, 0,
                                    CurrentTimestamp()]]))
                    logger.warning(
                        "res.user %s (%s) converted to web user %s of vendor "
                        "party %s for the vendor portal; send it a password "
                        "reset", user_id, login, email, vendor_id)
            cursor.execute(*res_user.update(
                    [res_user.marketplace_vendor], [Null],
                    where=res_user.id == user_id))
