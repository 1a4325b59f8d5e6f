# This file is part of the marketplace modules for Tryton.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError


class DepositError(UserError):
    pass


class DepositAccessError(AccessError):
    pass


class IncomingPaymentError(UserError):
    pass
