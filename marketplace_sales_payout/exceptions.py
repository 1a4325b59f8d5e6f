# This file is part of the marketplace modules for Tryton.
from trytond.exceptions import UserError


class PayoutError(UserError):
    pass


class NothingToBillError(UserError):
    pass


class VendorInvoiceError(UserError):
    pass
