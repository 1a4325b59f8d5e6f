# This file is part of the marketplace modules for Tryton.
"Helpers shared by the marketplace scenarios"
from decimal import Decimal

from proteus import Model, Wizard
from trytond.modules.account.tests.tools import get_accounts


def create_payment_method(config=None):
    "Return a cash payment method for the invoice pay wizard"
    Journal = Model.get('account.journal', config=config)
    PaymentMethod = Model.get(
        'account.invoice.payment.method', config=config)
    accounts = get_accounts(config=config)
    journal_cash, = Journal.find([('type', '=', 'cash')])
    payment_method = PaymentMethod(name="Cash")
    payment_method.journal = journal_cash
    payment_method.credit_account = accounts['cash']
    payment_method.debit_account = accounts['cash']
    payment_method.save()
    return payment_method


def create_vendor(name, commission_rate, support_rate=Decimal(0),
        config=None):
    Party = Model.get('party.party', config=config)
    vendor = Party(name=name)
    vendor.marketplace_vendor = True
    vendor.marketplace_commission_rate = commission_rate
    vendor.marketplace_support_rate = support_rate
    vendor.save()
    return vendor


def create_vendor_product(name, list_price, vendor, account_category,
        commission_rate=None, config=None):
    "Return the variant of a new goods template sold for vendor"
    Uom = Model.get('product.uom', config=config)
    Template = Model.get('product.template', config=config)
    unit, = Uom.find([('name', '=', 'Unit')])
    template = Template(name=name)
    template.default_uom = unit
    template.type = 'service'
    template.salable = True
    template.list_price = list_price
    template.account_category = account_category
    template.marketplace_vendor = vendor
    template.marketplace_commission_rate = commission_rate
    template.save()
    product, = template.products
    return product


def create_vendors(count, account_category,
        products=(("Product", Decimal('10')),),
        commission_rate=Decimal('0.15'), support_rate=Decimal('0.5'),
        config=None):
    """Create count vendors "Vendor <i>", each selling one product per
    (name, list price) of products, named "<name> <i>"; commission_rate
    may be a function of i.  Return the vendors and their products, vendor
    after vendor."""
    vendors, variants = [], []
    for i in range(count):
        rate = commission_rate(i) if callable(commission_rate) else (
            commission_rate)
        vendor = create_vendor(
            f"Vendor {i}", rate, support_rate, config=config)
        vendors.append(vendor)
        for name, price in products:
            variants.append(create_vendor_product(
                    f"{name} {i}", price, vendor, account_category,
                    config=config))
    return vendors, variants


def pay_invoice(invoice, payment_method, amount=None, date=None):
    "Pay the amount to pay of the invoice (or amount) with the method"
    pay = Wizard('account.invoice.pay', [invoice])
    if amount is not None:
        pay.form.amount = amount
    if date is not None:
        pay.form.date = date
    pay.form.payment_method = payment_method
    pay.execute('choice')
    if pay.state != 'end':
        pay.form.type = 'partial'
        pay.execute('pay')
    invoice.reload()
    return invoice


def create_accounting_category(name="Goods", accounts=None):
    "Create an accounting product category with the revenue and expense"
    if accounts is None:
        accounts = get_accounts()
    Category = Model.get('product.category')
    category = Category(name=name, accounting=True)
    category.account_expense = accounts['expense']
    category.account_revenue = accounts['revenue']
    category.save()
    return category
