"""The documentation builds as HTML with Sphinx, without a single warning.

The same build as ``setup/docs`` (the README, doc/, each module's doc/ and
bench/README.rst), with warnings as errors: a broken reference, a page left
out of every table of contents or a malformed table fails the test.
"""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip('sphinx')


def test_docs_build_without_warnings(tmp_path):
    out = tmp_path / 'html'
    result = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-b', 'html', '-q', '-W',
            '--keep-going', '-c', str(ROOT / 'doc'),
            '-d', str(tmp_path / 'doctrees'), str(ROOT), str(out)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stderr == ''
    for page in [
            'doc/index', 'README', 'doc/demo', 'doc/serve', 'bench/README',
            'marketplace_sales/doc/design',
            'marketplace_sales_payout/doc/usage',
            'marketplace_vendor_portal/doc/design',
            'sales_dashboard/doc/design',
            'sales_management/doc/usage']:
        assert (out / f'{page}.html').exists(), page
    readme = (out / 'README.html').read_text(encoding='utf-8')
    assert 'Coming from Odoo?' in readme
    assert 'autofacturation.png' in readme
