# This file is part of the marketplace modules for Tryton.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool

from .exceptions import RateValidationError

RATE_DIGITS = (None, 4)
RATE_QUANTUM = Decimal('0.0001')
ZERO = Decimal(0)


def check_rate(record, field_name):
    "Raise if the fraction stored in field_name is outside [0, 1]"
    rate = getattr(record, field_name)
    if rate is not None and not (0 <= rate <= 1):
        raise RateValidationError(gettext(
                'marketplace_sales.msg_rate_out_of_range',
                field=field_label(record.__class__, field_name),
                record=record.rec_name,
                # '{:f}': 150 %, not the 1.5E+2 % of normalize() alone
                rate='{:f}'.format((rate * 100).normalize())))




def chunks(ids, size=1000):
    "Yield the slices of ids of at most size items"
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def to_decimal(value):
    "Return the amount as Decimal (SQLite returns floats or strings)"
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def field_label(model, field_name):
    "The label of the field in the user's language, for messages"
    return model.__names__(field_name)['field']


def format_date(date):
    "The date as the user's language writes it, for messages"
    Lang = Pool().get('ir.lang')
    return Lang.get().strftime(date) if date else ''
