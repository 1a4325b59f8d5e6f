# This file is part of the marketplace modules for Tryton.
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from decimal import Decimal
from pathlib import Path

import facturx
from stdnum.fr import siren

from trytond import config
from trytond.i18n import gettext
from trytond.modules.company import CompanyReport
from trytond.pool import Pool
from trytond.transaction import without_check_access

from .exceptions import VendorInvoiceError
from .payout import _in_france

logger = logging.getLogger(__name__)
# PDF/A-3b: the archival PDF Factur-X embeds its XML in
PDFA_FILTER = ('pdf:writer_pdf_Export:'
    '{"SelectPdfVersion":{"type":"long","value":"3"}}')


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
        context['document_lang'] = cls.document_lang
        context['lang'] = cls.document_lang(records[0]) if records else None

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
        context['siren'] = cls._siren
        context['vat_number'] = cls._vat_number
        context['price_digits'] = lambda value: (
            2 if value is None or value == round(value, 2) else 4)
        context['quantity_digits'] = lambda value: (
            0 if value is None or value == int(value) else 2)
        return context

    @staticmethod
    def document_lang(invoice):
        """The language of the document: the vendor's, else the company's,
        else the default language"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        for party in [invoice.party, invoice.company.party]:
            if party.lang:
                return party.lang
        return Lang.get()

    @staticmethod
    def _address_lines(party):
        address = party.address_get(type='invoice')
        if not address:
            return []
        return [line for line in (address.full_address or '').split('\n')
            if line.strip()]

    @staticmethod
    def _siren(party):
        for identifier in party.identifiers:
            if identifier.type in {'fr_siren', 'fr_siret'}:
                code = identifier.code.replace(' ', '')[:9]
                return siren.format(code) if siren.is_valid(code) else code
        return ''

    @staticmethod
    def _vat_number(party):
        tax = party.tax_identifier
        return tax.code if tax else ''

    @classmethod
    def _execute(cls, records, header, data, action):
        """Render the document, then make it a Factur-X invoice: PDF/A-3
        with the CII XML of the invoice embedded"""
        oext, content = super()._execute(records, header, data, action)
        if oext == 'pdf' and len(records) == 1:
            content = cls._facturx(records[0], content)
        return oext, content

    @classmethod
    def _facturx(cls, record, pdf):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        EDocument = pool.get('marketplace.payout.edocument')
        invoice = Invoice(int(record))
        if invoice.state not in {'posted', 'paid'}:
            # a cancelled invoice is no longer an invoice to exchange
            return pdf
        xml = EDocument(invoice).render()
        lang = cls.document_lang(invoice)
        try:
            return facturx.generate_from_binary(
                pdf, xml, flavor='factur-x', level='en16931',
                check_xsd=True, lang=(lang.code.split('_')[0] if lang
                    else None))
        except Exception as exception:
            # A French company's payout refuses parties lacking the data
            # the XML needs: an invalid XML is then an error to fix.
            # Elsewhere the document stays a plain PDF.
            if _in_france(invoice.company.party):
                raise VendorInvoiceError(gettext(
                        'marketplace_sales_payout.msg_payout_report_facturx',
                        invoice=invoice.rec_name,
                        error=exception)) from exception
            logger.warning(
                "%s: no Factur-X for %s: %s", cls.__name__, invoice.rec_name,
                exception)
            return pdf

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
                        '--convert-to', PDFA_FILTER, '--outdir', directory,
                        str(source)],
                    timeout=timeout, check=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return 'pdf', Path(directory, 'document.pdf').read_bytes()
            except (subprocess.SubprocessError, OSError):
                logger.warning(
                    "%s: PDF conversion failed, delivered as ODT",
                    report.report_name, exc_info=True)
                return report.template_extension, data
