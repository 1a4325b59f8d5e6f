# This file is part of the marketplace modules for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SalesManagementTestCase(CompanyTestMixin, ModuleTestCase):
    "Test sales_management module"
    module = 'sales_management'


del ModuleTestCase
