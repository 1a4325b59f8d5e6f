# This file is part of the marketplace modules for Tryton.
"""``setup/test-at`` (README): setup/test under a clock set to a given time.

It runs tests/clock_probe.py with the clock set to 23:59:57 (pytest and the
processes it starts see that time and see midnight pass) and to 00:00:30
(a time earlier today).  It runs once, in the SQLite pass of setup/test
(it needs no database).
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRESQL = os.environ.get(
    'TRYTOND_DATABASE_URI', '').startswith('postgresql')

if ON_POSTGRESQL and 'sqlite' in os.environ.get('BACKENDS', '').split():
    pytestmark = pytest.mark.skip(
        reason="setup/test-at is tested once, in the SQLite pass")
elif not shutil.which('faketime'):
    pytestmark = pytest.mark.skip(
        reason="faketime is not installed (apt-get install faketime)")


@pytest.mark.parametrize('at', ['23:59:57', '00:00:30'])
def test_test_at_sets_the_clock_of_the_suite(at):
    env = dict(os.environ, BACKENDS='sqlite', E2E='0', LIBREOFFICE='0',
        CLOCK_PROBE_AT=at)
    out = subprocess.run(
        [str(ROOT / 'setup' / 'test-at'), at, 'tests/clock_probe.py'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f' {at} UTC' in out.stderr
    assert out.stdout.splitlines()[-1] == (
        'total: 1 passed, 0 failed, 0 skipped')
