# This file is part of the marketplace modules for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MarketplaceSalesPayoutTestCase(CompanyTestMixin, ModuleTestCase):
    "Test marketplace_sales_payout module"
    module = 'marketplace_sales_payout'


del ModuleTestCase
