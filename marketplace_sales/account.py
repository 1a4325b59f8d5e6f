# This file is part of the marketplace modules for Tryton.
from trytond.i18n import gettext
from trytond.modules.account_invoice.account import _invoices_to_process
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from .exceptions import UnpaidBilledSalesWarning


class Reconciliation(metaclass=PoolMeta):
    __name__ = 'account.move.reconciliation'

    @classmethod
    def check_modification(
            cls, mode, reconciliations, values=None, external=False):
        super().check_modification(
            mode, reconciliations, values=values, external=external)
        if mode == 'delete':
            cls._check_marketplace_billed(reconciliations)

    @classmethod
    def _check_marketplace_billed(cls, reconciliations):
        """Warn, when the user unreconciles a paid customer invoice, about
        its marketplace sales already billed to vendors (they are kept).

        The invoice itself is processed later through the queue, so the
        warning must be raised here, on the user's action."""
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        Warning = pool.get('res.user.warning')
        with without_check_access():
            invoices = [
                i for i in _invoices_to_process(reconciliations)
                if i.type == 'out' and i.state == 'paid']
            if not invoices:
                return
            billed = Sale.search([
                    ('invoice', 'in', [i.id for i in invoices]),
                    ('state', 'in', ['awaiting_payment', 'paid']),
                    ], order=[('id', 'ASC')])
            if billed:
                key = Warning.format('marketplace_unpaid_billed', billed)
                if Warning.check(key):
                    raise UnpaidBilledSalesWarning(key, gettext(
                            'marketplace_sales.msg_unpaid_billed_sales',
                            invoice=billed[0].invoice.rec_name,
                            sales=', '.join(
                                '"%s"' % s.rec_name for s in billed[:10])))
