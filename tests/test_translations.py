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


@pytest.fixture(scope='module')
def source_strings(fresh_database):
    """The strings of our modules that Tryton translates, keyed by module:
    (msgctxt, msgid) as Tryton writes them in a .po file: fields, help,
    selections, models, menus, actions, buttons, messages, view strings and
    report strings"""
    from proteus import Model, Wizard
    from trytond.tests.tools import activate_modules
    with fresh_database():
        activate_modules(MODULES)
        # view and report strings are collected by "Set Translations", run
        # on our views and reports (some views of other modules have no
        # model, which the wizard does not expect)
        View = Model.get('ir.ui.view')
        Report = Model.get('ir.action.report')
        for records in [
                View.find([
                        ('module', 'in', MODULES), ('model', '!=', None)]),
                Report.find([('module', 'in', MODULES)]),
                ]:
            if records:
                Wizard('ir.translation.set', records).execute('set_')
        # ir.model.data is not readable over RPC: read in a transaction
        from trytond.pool import Pool
        from trytond.tests.test_tryton import DB_NAME
        from trytond.transaction import Transaction
        strings = {m: set() for m in MODULES}
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            ModelData = pool.get('ir.model.data')
            Translation = pool.get('ir.translation')
            fs_ids = {(d.model, d.db_id): d.fs_id
                for d in ModelData.search([('module', 'in', MODULES)])}
            for translation in Translation.search([
                        ('lang', '=', 'en'),
                        ('module', 'in', MODULES),
                        ]):
                if not translation.src:
                    continue
                context = f'{translation.type}:{translation.name}:'
                if translation.res_id is not None and translation.res_id >= 0:
                    model = translation.name.split(',')[0]
                    fs_id = fs_ids.get((model, translation.res_id))
                    if fs_id is None:
                        continue
                    context += fs_id
                strings[translation.module].add((context, translation.src))
        yield strings


@pytest.mark.parametrize('module', MODULES)
def test_french_everything(module, source_strings):
    "Every string Tryton shows of the module has a French translation"
    po = polib.pofile(str(ROOT / module / 'locale' / 'fr.po'))
    translated = {
        (e.msgctxt, e.msgid) for e in po
        if e.msgstr and not e.obsolete and 'fuzzy' not in e.flags}
    strings = source_strings[module]
    assert strings, f"no string found for {module}"
    missing = sorted(strings - translated)
    assert not missing, (
        f"{len(missing)} untranslated strings in {module}/locale/fr.po:\n"
        + '\n'.join(f'{c}  {s!r}' for c, s in missing))
