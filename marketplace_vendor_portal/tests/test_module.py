# This file is part of the marketplace modules for Tryton.
import datetime as dt
import logging

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.marketplace_vendor_portal.portal import SaleFilter
from trytond.modules.marketplace_vendor_portal.templates import (
    Html, esc, fmt)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class MarketplaceVendorPortalTestCase(CompanyTestMixin, ModuleTestCase):
    "Test marketplace_vendor_portal module"
    module = 'marketplace_vendor_portal'

    def test_escape_by_construction(self):
        "Values put into a template are escaped, markup built here is not"
        page = fmt('<td>{name}</td>', name='<script>alert(1)</script>')
        self.assertEqual(
            page, '<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>')
        self.assertEqual(fmt('<p>{x}</p>', x=page),
            '<p><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></p>')
        self.assertEqual(esc('"a" & \'b\''), '&quot;a&quot; &amp; &#x27;b&#x27;')
        self.assertIsInstance(esc(Html('<b>')), Html)

    def test_sale_filter(self):
        "Only dates, a known state and a page number pass the filter"
        filter_ = SaleFilter.from_args({
                'from': '2026-01-01', 'to': '2026-01-31',
                'state': 'paid', 'page': '3'})
        self.assertEqual(
            (filter_.from_date, filter_.to_date, filter_.state, filter_.page),
            (dt.date(2026, 1, 1), dt.date(2026, 1, 31), 'paid', 3))
        self.assertEqual(filter_.args(page='1'), {
                'from': '2026-01-01', 'to': '2026-01-31', 'state': 'paid'})
        for args in [{'from': '01/01/2026'}, {'state': 'cancelled'},
                {'state': "x' OR 1=1"}, {'page': '0'}, {'page': 'a'},
                {'page': str(10 ** 20)}]:
            with self.assertRaises(ValueError):
                SaleFilter.from_args(args)

    @with_transaction()
    def test_convert_vendor_users(self):
        "Users left by the retired vendor group become web users"
        pool = Pool()
        Party = pool.get('party.party')
        ResUser = pool.get('res.user')
        WebUser = pool.get('web.user')
        vendor = Party(name="Vendor", marketplace_vendor=True)
        vendor.save()
        with_email = ResUser(login='vendor', name="Vendor",
            email='Vendor@Example.com')
        without_email = ResUser(login='noemail', name="No e-mail")
        ResUser.save([with_email, without_email])
        cursor = Transaction().connection.cursor()
        cursor.execute('ALTER TABLE res_user ADD COLUMN '
            'marketplace_vendor INTEGER')
        table = ResUser.__table__()
        cursor.execute(*table.update(
                [table.marketplace_vendor], [vendor.id],
                where=table.id.in_([with_email.id, without_email.id])))

        with self.assertLogs(
                'trytond.modules.marketplace_vendor_portal.web',
                logging.WARNING) as logs:
            WebUser._convert_marketplace_vendor_users()
        self.assertEqual(len(logs.output), 2)
        self.assertIn('converted to web user vendor@example.com',
            logs.output[0])
        self.assertIn('has no e-mail', logs.output[1])
        web_user, = WebUser.search([])
        self.assertEqual(
            (web_user.email, web_user.party, web_user.email_valid,
                web_user.password_hash),
            ('vendor@example.com', vendor, False, None))
        self.assertEqual(web_user.marketplace_vendor, vendor)
        cursor.execute(*table.select(table.marketplace_vendor,
                where=table.marketplace_vendor != None))  # noqa: E711
        self.assertEqual(cursor.fetchall(), [])
        # once only
        with self.assertNoLogs(
                'trytond.modules.marketplace_vendor_portal.web',
                logging.WARNING):
            WebUser._convert_marketplace_vendor_users()
        self.assertEqual(WebUser.search_count([]), 1)

    @with_transaction()
    def test_marketplace_vendor_of_web_user(self):
        "A web user reaches the portal only for an active vendor party"
        pool = Pool()
        Party = pool.get('party.party')
        WebUser = pool.get('web.user')
        customer = Party(name="Customer")
        customer.save()
        user = WebUser(email='c@example.com', party=customer)
        user.save()
        self.assertIsNone(user.marketplace_vendor)
        customer.marketplace_vendor = True
        customer.marketplace_commission_rate = 0
        customer.save()
        self.assertEqual(WebUser(user.id).marketplace_vendor, customer)
        WebUser.write([user], {'active': False})
        self.assertIsNone(WebUser(user.id).marketplace_vendor)


del ModuleTestCase
