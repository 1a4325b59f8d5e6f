# This file is part of the marketplace modules for Tryton.
import contextvars
from contextlib import contextmanager

from trytond.pool import PoolMeta
from trytond.transaction import Transaction

_shared_taxes = contextvars.ContextVar(
    'marketplace_shared_taxes', default=None)


@contextmanager
def shared_taxes():
    """Within the block, Tax.compute reuses one instance per tax as long as
    nothing is written in the transaction.

    Stock computes the taxes of each invoice line on instances browsed anew
    (TaxableMixin._get_taxes), and an instance browsed anew reads its
    One2Many childs again: in a transaction that can write, Tryton keeps
    no One2Many value in the transaction cache, so a payout would read the
    children of each tax twice per line.  A reused instance would refresh
    its own cache
    after any write, as one browsed anew does; the instances are dropped at
    any write all the same, and when the block ends."""
    token = _shared_taxes.set(_SharedTaxes())
    try:
        yield
    finally:
        _shared_taxes.reset(token)


class _SharedTaxes:
    "The tax instances of one transaction since its last write"

    def __init__(self):
        self.transaction = self.counter = None
        self.instances = {}

    def get(self, taxes):
        transaction = Transaction()
        if (self.transaction is not transaction
                or self.counter != transaction.counter):
            self.instances.clear()
            self.transaction = transaction
            self.counter = transaction.counter
        # the values of an instance depend on its user and on the context
        # keys that key Tryton's own record cache
        context = transaction.context
        key = (transaction.user, tuple(
                (k, context[k]) for k in sorted(transaction.cache_keys)
                if k in context))
        return [self.instances.setdefault((key, tax.id), tax)
            for tax in taxes]


class Tax(metaclass=PoolMeta):
    __name__ = 'account.tax'

    @classmethod
    def compute(cls, taxes, price_unit, quantity, date):
        shared = _shared_taxes.get()
        if shared is not None:
            taxes = shared.get(taxes)
        return super().compute(taxes, price_unit, quantity, date)


def tax_codes(tax):
    """Return the UNECE (type, category) codes of the tax: its own, else VAT
    at the standard rate (S) for a positive rate, zero rated (Z) otherwise"""
    type_ = getattr(tax, 'unece_code', None) or 'VAT'
    category = getattr(tax, 'unece_category_code', None)
    if not category:
        rate = tax.rate if tax and tax.type == 'percentage' else None
        category = 'S' if rate else 'Z'
    return type_, category
