# This file is part of the marketplace modules for Tryton.
"""Browser walk through the vendor portal of the demo (setup/e2e/portal).

Debian's chromium driven by playwright-core as a demo vendor: log in, filter
the sales, download the CSV and an Autofacturation PDF, switch to French, a
phone-sized screen, log out.  Skipped, with the reason shown, when chromium
or node (and npm to install playwright-core) are missing.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
PLAYWRIGHT = ROOT / 'var' / 'e2e' / 'node_modules' / 'playwright-core'


def missing():
    if os.environ.get('TRYTOND_DATABASE_URI', '').startswith('postgresql'):
        return ("the demo is a SQLite file (setup/demo): the browser walk "
            "runs on the SQLite pass of setup/test only")
    if not os.access(CHROMIUM, os.X_OK):
        return (f"no chromium at {CHROMIUM}: "
            "'apt-get install chromium' to run the browser test")
    if not shutil.which('node'):
        return "no node: 'apt-get install nodejs npm' to run the browser test"
    if not PLAYWRIGHT.exists() and not shutil.which('npm'):
        return ("playwright-core is not installed and there is no npm to "
            "install it: 'apt-get install npm'")
    return None


pytestmark = pytest.mark.skipif(bool(missing()), reason=missing() or '')


def test_portal_walk(tmp_path, demo_data):
    db = demo_data.cached_copy(str(tmp_path / 'db'))
    shots = tmp_path / 'shots'
    report = tmp_path / 'portal.json'
    env = dict(os.environ)
    for name in ['TRYTOND_DATABASE_URI', 'DB_NAME', 'DB_CACHE']:
        env.pop(name, None)
    process = subprocess.run(
        [str(ROOT / 'setup' / 'e2e' / 'portal'), '--db', db,
            '--shots', str(shots), '--json', str(report)],
        env=env, capture_output=True, text=True, timeout=900)
    assert report.exists(), process.stderr[-3000:]
    result = json.loads(report.read_text())
    assert process.returncode == 0, (result.get('error'),
        result.get('server_log_tail'), process.stderr[-2000:])
    assert not result['page_errors']
    assert result['email'] == 'atelier-lumiere@example.com'
    assert result['title'] == 'My sales - Vendor portal'
    # the sales of the filter, all to invoice, are the rows of the CSV
    assert int(result['filtered_count']) == result['filtered_rows'] > 0
    assert set(result['filtered_states']) == {'To Invoice'}
    assert result['csv_header'].startswith('date,invoice,invoice_date,')
    assert result['csv_rows'] == result['filtered_rows']
    assert int(result['total_count']) >= result['filtered_rows']
    # the previous month was billed: an Autofacturation PDF
    assert result['invoices'] >= 1
    assert result['pdf_magic'] == '%PDF-' and result['pdf_bytes'] > 10000
    assert result['french_title'] == 'Mes autofactures'
    assert result['french_sales_title'] == 'Mes ventes'
    # nothing wider than the phone: the tables scroll inside their box
    assert result['phone_scroll_width'] <= 390
    assert result['after_logout_url'].endswith('/marketplace/vendor/login')
    for name in ['portal-login', 'portal-sales', 'portal-invoices',
            'portal-sales-fr', 'portal-phone']:
        shot = shots / f'{name}.png'
        assert shot.exists() and shot.stat().st_size > 10000, name
