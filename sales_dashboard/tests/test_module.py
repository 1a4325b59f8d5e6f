# This file is part of the marketplace modules for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SalesDashboardTestCase(CompanyTestMixin, ModuleTestCase):
    "Test sales_dashboard module"
    module = 'sales_dashboard'


del ModuleTestCase
