# This file is part of the marketplace modules for Tryton.
"""Documents of the sales desk delivered as PDF.

The templates are ODT (Relatorio); LibreOffice converts them.  Each process
and thread uses its own LibreOffice user profile: two conversions at once
with the shared default profile make one of them fail.  Without LibreOffice,
or if the conversion fails, the document is delivered as ODT and the failure
logged: a printout is never lost.  A ``[report] convert_command`` of the
server configuration still wins.

``marketplace_sales_payout`` converts its Autofacturation the same way in
its own ``report.py``; both could share one helper in a common module.
"""
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from trytond import config

logger = logging.getLogger(__name__)


def soffice_profile():
    "The LibreOffice user profile of this process and thread"
    return Path(tempfile.gettempdir(), 'sales-management-soffice-%s-%s' % (
            os.getpid(), threading.get_ident()))


class PDFReportMixin:
    "Converts the ODT of a report action whose extension is pdf"
    __slots__ = ()

    @classmethod
    def convert(cls, report, data, timeout=5 * 60, **kwargs):
        output = report.extension or report.template_extension
        if (output != 'pdf' or report.template_extension != 'odt'
                or config.get('report', 'convert_command', default=None)):
            return super().convert(report, data, timeout=timeout, **kwargs)
        soffice = shutil.which('soffice')
        if not soffice:
            logger.warning(
                "%s: no LibreOffice (soffice), delivered as ODT",
                report.report_name)
            return report.template_extension, data
        with tempfile.TemporaryDirectory(prefix='trytond_') as directory:
            source = Path(directory, 'document.odt')
            source.write_bytes(data)
            try:
                subprocess.run([soffice, '--headless', '--nolockcheck',
                        '--nodefault', '--norestore',
                        '-env:UserInstallation=%s' % soffice_profile().as_uri(),
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
