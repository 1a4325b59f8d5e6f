# This file is part of the marketplace modules for Tryton.
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from decimal import Decimal
from pathlib import Path

from trytond import config
from trytond.i18n import gettext
from trytond.modules.company import CompanyReport
from trytond.pool import Pool
from trytond.transaction import without_check_access

from .exceptions import VendorInvoiceError

logger = logging.getLogger(__name__)


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
    def convert(cls, report, data, timeout=5 * 60, **kwargs):
        """ODT to PDF with LibreOffice, one user profile per process and
        thread: two workers converting at once with the shared default
        profile make one conversion fail.  Without LibreOffice, or if the
        conversion fails, the document is delivered as ODT (an e-mail is
        never lost for its PDF).  A [report] convert_command still wins."""
        output = report.extension or report.template_extension
        soffice = shutil.which('soffice')
        if (output != 'pdf' or report.template_extension != 'odt'
                or config.get('report', 'convert_command', default=None)):
            return super().convert(report, data, timeout=timeout, **kwargs)
        if not soffice:
            return report.template_extension, data
        profile = Path(tempfile.gettempdir(), 'marketplace-soffice-%s-%s' % (
                os.getpid(), threading.get_ident()))
        with tempfile.TemporaryDirectory(prefix='trytond_') as directory:
            source = Path(directory, 'document.odt')
            source.write_bytes(data)
            try:
                subprocess.run([soffice, '--headless', '--nolockcheck',
                        '--nodefault', '--norestore',
                        '-env:UserInstallation=%s' % profile.as_uri(),
                        '--convert-to', 'pdf', '--outdir', directory,
                        str(source)],
                    timeout=timeout, check=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return 'pdf', Path(directory, 'document.pdf').read_bytes()
            except (subprocess.SubprocessError, OSError):
                logger.warning(
                    "%s: PDF conversion failed, delivered as ODT",
                    report.report_name, exc_info=True)
                return report.template_extension, data
