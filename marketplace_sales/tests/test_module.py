# This file is part of the marketplace modules for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MarketplaceSalesTestCase(CompanyTestMixin, ModuleTestCase):
    "Test marketplace_sales module"
    module = 'marketplace_sales'


del ModuleTestCase
