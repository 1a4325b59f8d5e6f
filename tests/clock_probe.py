# This file is part of the marketplace modules for Tryton.
"""Run by tests/test_test_at.py through ``setup/test-at HH:MM:SS`` with
``CLOCK_PROBE_AT`` set to the same time: the clock of pytest and of every
process it starts is set to that time of today (UTC) and goes on at normal
speed; set a few seconds before midnight, it crosses midnight.  The suite
does not collect this file by itself (its name does not start with
``test_``)."""
import datetime as dt
import os
import subprocess
import sys
import time


def utc_now_of_child():
    "The time as a new Python process sees it (trytond, trytond-admin...)"
    out = subprocess.run([sys.executable, '-c',
            'import datetime as dt; '
            'print(dt.datetime.now(dt.timezone.utc).isoformat())'],
        capture_output=True, text=True, check=True)
    return dt.datetime.fromisoformat(out.stdout.strip())


def test_the_clock_is_set():
    start = dt.datetime.now(dt.timezone.utc)
    at = dt.datetime.combine(start.date(),
        dt.time.fromisoformat(os.environ['CLOCK_PROBE_AT']), dt.timezone.utc)
    # setup/test starts pytest a few seconds after setting the clock
    if at > start:
        at -= dt.timedelta(days=1)
    assert dt.timedelta(0) <= start - at < dt.timedelta(seconds=5), start
    assert abs((utc_now_of_child() - start).total_seconds()) < 2
    midnight = dt.datetime.combine(
        start.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    if midnight - start < dt.timedelta(seconds=10):
        while dt.datetime.now(dt.timezone.utc) < midnight:
            time.sleep(0.2)
        assert utc_now_of_child().date() == midnight.date()
