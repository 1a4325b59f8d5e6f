# This file is part of the marketplace modules for Tryton.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('marketplace.sale|payout_previous_month',
                "Bill Vendor Sales of the Previous Month"))
        cls.method.selection.append(
            ('account.invoice|marketplace_requeue_payout_emails',
                "Send Self-Billing E-mails Left Unsent"))
