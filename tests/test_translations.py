# This file is part of the marketplace modules for Tryton.
"Every module ships a French translation of all its messages"
import pathlib
import re

import polib
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODULES = [
    'marketplace_sales', 'marketplace_sales_payout', 'sales_dashboard',
    'sales_management', 'marketplace_vendor_portal']


@pytest.mark.parametrize('module', MODULES)
def test_french_messages(module):
    directory = ROOT / module
    message_file = directory / 'message.xml'
    if not message_file.exists():
        pytest.skip(f"{module} defines no message yet")
    ids = re.findall(
        r'model="ir.message" id="([^"]+)"', message_file.read_text())
    assert ids, "message.xml defines no message"
    po = polib.pofile(str(directory / 'locale' / 'fr.po'))
    translated = {
        e.msgctxt: e.msgstr for e in po if e.msgstr and not e.obsolete}
    missing = [
        i for i in ids if not translated.get(f'model:ir.message,text:{i}')]
    assert not missing, f"untranslated messages in {module}: {missing}"
    for entry in po:
        # Python format placeholders must survive the translation
        placeholders = set(re.findall(r'%\(\w+\)s', entry.msgid))
        assert placeholders == set(
            re.findall(r'%\(\w+\)s', entry.msgstr)), entry.msgctxt
