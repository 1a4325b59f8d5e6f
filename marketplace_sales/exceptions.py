# This file is part of the marketplace modules for Tryton.
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import AccessError, ValidationError


class RateValidationError(ValidationError):
    pass


class VendorValidationError(ValidationError):
    pass


class MissingRateError(UserError):
    pass


class SaleEditError(AccessError):
    pass


class AmountValidationError(ValidationError):
    pass


class UnpaidBilledSalesWarning(UserWarning):
    pass
