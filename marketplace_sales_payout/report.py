# This file is part of the marketplace modules for Tryton.
import shutil
from decimal import Decimal

from trytond import config
from trytond.i18n import gettext
from trytond.modules.company import CompanyReport
from trytond.pool import Pool
from trytond.transaction import without_check_access

from .exceptions import VendorInvoiceError


class PayoutReport(CompanyReport):
    """The self-billing document ("Autofacturation") of a vendor invoice:
    the legal mentions, the invoice lines and the sale-by-sale breakdown"""
    __name__ = 'marketplace.payout.report'

    @classmethod
    def _get_records(cls, ids, model, data):
        records = super()._get_records(ids, model, data)
        for record in records:
            if not record.marketplace_self_billing:
                raise VendorInvoiceError(gettext(
                        'marketplace_sales_payout.msg_payout_report_not_self_billing',
                        invoice=record.rec_name))
        return records

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Sale = pool.get('marketplace.sale')
        context = super().get_context(records, header, data)
        company = header.get('company')
        context['lang'] = (
            company.party.lang if company and company.party.lang else None)

        sales = {}

        def sales_of(invoice):
            if invoice.id not in sales:
                with without_check_access():
                    sales[invoice.id] = Sale.search(
                        [('vendor_invoice', '=', invoice.id)],
                        order=[('date', 'ASC'), ('id', 'ASC')])
            return sales[invoice.id]

        context['sales'] = sales_of
        context['sale_count'] = lambda invoice: len(sales_of(invoice))
        context['sale_total'] = lambda invoice, name: sum(
            (getattr(s, name) for s in sales_of(invoice)), Decimal(0))
        context['address_lines'] = cls._address_lines
        context['identifiers'] = cls._identifiers
        context['vat_number'] = cls._vat_number
        context['price_digits'] = lambda value: (
            2 if value is None or value == round(value, 2) else 4)
        context['quantity_digits'] = lambda value: (
            0 if value is None or value == int(value) else 2)
        return context

    @staticmethod
    def _address_lines(party):
        address = party.address_get(type='invoice')
        if not address:
            return []
        return [line for line in (address.full_address or '').split('\n')
            if line]

    @staticmethod
    def _identifiers(party):
        tax = party.tax_identifier
        return ['%s: %s' % (i.type_string or '', i.code)
            for i in party.identifiers if i != tax]

    @staticmethod
    def _vat_number(party):
        tax = party.tax_identifier
        return tax.code if tax else '—'

    @classmethod
    def convert(cls, report, data, **kwargs):
        # Without LibreOffice the document is delivered as ODT rather than
        # retried and logged as a failed conversion.
        output = report.extension or report.template_extension
        if (output == 'pdf'
                and not config.get('report', 'convert_command', default=None)
                and not shutil.which('soffice')):
            return report.template_extension, data
        return super().convert(report, data, **kwargs)
