# This file is part of the marketplace modules for Tryton.
"""Demo data of the sales dashboard and the French sales desk.

``create_sales_demo(config, company)`` fills every cell of the sales
dashboard on a new database where the company, a French chart of accounts
(account_fr) and a fiscal year of the current year already exist:
open quotations, paid and unpaid invoices, one payment discrepancy
(an overpaid invoice), cheques deposited on a posted slip and cheques
waiting, revenue and expenses every month in several product categories,
opportunities and one running subscription.

Calling it again on the same database does nothing (it returns False).
"""
import datetime as dt
from decimal import Decimal

from proteus import Model

DEMO_MARK = "Vente au comptoir"


def _account(config, company, code):
    Account = Model.get('account.account', config=config)
    account, = Account.find([
            ('company', '=', company.id),
            ('code', '=', code),
            ], limit=1)
    return account


def _tax(config, company, kind):
    "The 20 % VAT of kind 'sale' or 'purchase' of the chart, if any"
    Tax = Model.get('account.tax', config=config)
    taxes = Tax.find([
            ('company', '=', company.id),
            ('parent', '=', None),
            ('type', '=', 'percentage'),
            ('rate', '=', Decimal('0.2')),
            ('group.kind', 'in', [kind, 'both']),
            ], limit=1)
    return taxes[0] if taxes else None


def create_sales_demo(config, company, today=None):
    "Create the sales demo data; return False when it already exists"
    return _create_sales_demo(config, company, today)


def _create_sales_demo(config, company, today):
    SaleType = Model.get('sale.type', config=config)
    if SaleType.find([('name', '=', DEMO_MARK)]):
        return False
    FiscalYear = Model.get('account.fiscalyear', config=config)
    Journal = Model.get('account.journal', config=config)
    PaymentJournal = Model.get('account.payment.journal', config=config)
    PaymentTerm = Model.get('account.invoice.payment_term', config=config)
    Party = Model.get('party.party', config=config)
    Category = Model.get('product.category', config=config)
    Template = Model.get('product.template', config=config)
    Uom = Model.get('product.uom', config=config)
    Sale = Model.get('sale.sale', config=config)
    Invoice = Model.get('account.invoice', config=config)
    Deposit = Model.get('sale.cheque.deposit', config=config)
    Payment = Model.get('account.payment', config=config)

    if today is None:
        # the server's date (company time zone), the one it gives to what
        # it creates without an explicit date
        Date = Model.get('ir.date', config=config)
        today = Date.today(config.context)
    fiscalyear, = FiscalYear.find([
            ('company', '=', company.id),
            ('start_date', '<=', today),
            ('end_date', '>=', today),
            ], limit=1)
    if not fiscalyear.periods:
        fiscalyear.click('create_period')

    # Accounts and journals
    cheques_account = _account(config, company, '5112')
    if not cheques_account.reconcile:
        cheques_account.reconcile = True
        cheques_account.save()
    bank_account = _account(config, company, '5121')
    cash_journal, = Journal.find([('type', '=', 'cash')], limit=1)
    expense_journal, = Journal.find([('type', '=', 'expense')], limit=1)

    journals = {}
    for name, method, clearing in [
            ("Chèques", 'cheque', cheques_account),
            ("Virements", 'transfer', bank_account),
            ("Espèces", 'cash', bank_account),
            ("Carte bancaire", 'card', bank_account),
            ]:
        journal = PaymentJournal(name=name, process_method='manual')
        journal.receipt_method = method
        journal.clearing_account = clearing
        journal.clearing_journal = cash_journal
        journal.save()
        journals[method] = journal

    # Payment term and sale types
    term = PaymentTerm(name="30 jours")
    line = term.lines.new(type='remainder')
    line.relativedeltas.new(days=30)
    term.save()
    counter = SaleType(name=DEMO_MARK)
    counter.conditions = (
        "Marchandises payables au comptant.\n"
        "Les marchandises restent notre propriété jusqu'au paiement "
        "intégral du prix.")
    counter.save()
    professional = SaleType(name="Vente aux professionnels")
    professional.conditions = (
        "Paiement à 30 jours date de facture, sans escompte.\n"
        "Pénalités de retard : trois fois le taux d'intérêt légal ; "
        "indemnité forfaitaire pour frais de recouvrement : 40 €.")
    professional.payment_term = term
    professional.save()

    # Products in several categories
    unit, = Uom.find([('name', '=', 'Unit')])
    sale_tax = _tax(config, company, 'sale')
    purchase_tax = _tax(config, company, 'purchase')

    def category(name, revenue, expense):
        record = Category(name=name, accounting=True)
        record.account_revenue = _account(config, company, revenue)
        record.account_expense = _account(config, company, expense)
        if sale_tax:
            record.customer_taxes.append(Model.get(
                    'account.tax', config=config)(sale_tax.id))
        if purchase_tax:
            record.supplier_taxes.append(Model.get(
                    'account.tax', config=config)(purchase_tax.id))
        record.save()
        return record
    furniture = category("Mobilier", '7071', '6071')
    services = category("Prestations", '706', '6061')
    supplies = category("Fournitures", '7072', '6064')

    def product(name, categ, price, cost, type_='goods', salable=True):
        template = Template(name=name, default_uom=unit, type=type_)
        template.list_price = Decimal(price)
        template.account_category = categ
        template.salable = salable
        template.save()
        prod, = template.products
        prod.cost_price = Decimal(cost)
        prod.save()
        return prod
    chair = product("Chaise", furniture, '45', '20')
    table = product("Table", furniture, '180', '90')
    install = product("Installation", services, '60', '0', 'service')
    maintenance = product(
        "Maintenance annuelle", services, '20', '0', 'service')
    paper = product("Fournitures de bureau", supplies, '8', '5')

    # Parties
    customers = []
    for name in [
            "Boulangerie Martin", "Mairie de Saint-Aubin",
            "Cabinet Durand", "Hôtel des Voyageurs"]:
        party = Party(name=name)
        party.save()
        customers.append(party)
    supplier = Party(name="Meubles du Jura")
    supplier.save()

    periods = [
        p for p in fiscalyear.periods
        if p.type == 'standard' and p.start_date <= today]
    periods.sort(key=lambda p: p.start_date)

    def make_sale(party, lines, sale_type, date, confirm=True):
        sale = Sale(party=party, sale_type=sale_type)
        sale.sale_date = date
        sale.invoice_method = 'order'
        sale.shipment_method = 'manual'
        for prod, quantity in lines:
            line = sale.lines.new(product=prod)
            line.quantity = quantity
        sale.click('quote')
        if confirm:
            sale.click('confirm')
            invoice, = sale.invoices
            invoice.invoice_date = date
            # Terms run from today: no warning about due dates in the past
            invoice.payment_term_date = today
            invoice.click('post')
        return sale

    def receive(sale, method, amount=None, number=None, bank=None, date=None):
        invoice, = sale.invoices
        wizard = invoice.click('receive_payment')
        wizard.form.journal = journals[method]
        if amount is not None:
            wizard.form.amount = Decimal(amount)
        wizard.form.date = date or today
        wizard.form.cheque_number = number
        wizard.form.cheque_bank = bank
        wizard.execute('receive')

    # One or two sales a month, paid by cheque or transfer; the last ones
    # open, partially paid or overpaid.
    banks = ["Crédit Agricole", "Banque Populaire", "La Banque Postale"]
    recent = []
    for index, period in enumerate(periods):
        date = min(period.start_date + dt.timedelta(days=9), today)
        party = customers[index % len(customers)]
        sale = make_sale(
            party, [(chair, 4 + index % 3), (install, 1)],
            professional if index % 2 else counter, date)
        if index < len(periods) - 2:
            receive(
                sale, 'cheque', number='%07d' % (1000 + index),
                bank=banks[index % len(banks)], date=date)
        else:
            recent.append(sale)
        sale = make_sale(
            customers[(index + 1) % len(customers)],
            [(table, 1 + index % 2), (maintenance, 2)], professional, date)
        if index < len(periods) - 2:
            receive(sale, 'transfer', date=date)
        else:
            recent.append(sale)

        # Expenses of the month: furniture bought, office supplies
        purchase = Invoice(type='in', party=supplier)
        purchase.invoice_date = date
        purchase.payment_term_date = today
        for prod, quantity, price in [
                (chair, 10, '20'), (paper, 12 + index, '5')]:
            line = purchase.lines.new(product=prod)
            line.quantity = quantity
            line.unit_price = Decimal(price)
        purchase.click('post')

    # The company's bank account and the defaults of new deposit slips
    BankAccount = Model.get('bank.account', config=config)
    Configuration = Model.get('sale.configuration', config=config)
    company_bank = BankAccount()
    company_bank.owners.append(Party(company.party.id))
    company_bank.numbers.new(
        type='iban', number='FR76 3000 6000 0112 3456 7890 189')
    company_bank.save()
    configuration = Configuration(1)
    configuration.deposit_payment_journal = journals['cheque']
    configuration.deposit_journal = cash_journal
    configuration.deposit_bank = company_bank
    configuration.deposit_bank_account = bank_account
    configuration.save()

    # The cheques of the previous months are on a posted deposit slip,
    # the last month's cheques wait for the next one.
    cheques = Payment.find([
            ('journal', '=', journals['cheque'].id),
            ('state', '=', 'succeeded'),
            ], order=[('date', 'ASC'), ('id', 'ASC')])
    deposit = Deposit(date=today)
    for cheque in cheques[:-2]:
        deposit.payments.append(Payment(cheque.id))
    deposit.save()
    deposit.click('post')

    # Recent sales: one waiting cheque, one partial transfer, one overpaid
    # (payment discrepancy), one unpaid.
    if len(recent) >= 4:
        receive(recent[0], 'cheque', number='0002001',
            bank="Crédit Mutuel")
        invoice, = recent[1].invoices
        receive(recent[1], 'transfer',
            amount=(invoice.total_amount / 2).quantize(Decimal('0.01')))
        invoice, = recent[2].invoices
        receive(recent[2], 'transfer',
            amount=invoice.total_amount + Decimal('15'))
        # recent[3] stays unpaid
    # Cash and card receipts on the counter
    counter_sale = make_sale(customers[0], [(chair, 2)], counter, today)
    receive(counter_sale, 'cash')
    card_sale = make_sale(customers[2], [(paper, 10)], counter, today)
    receive(card_sale, 'card')

    # Open quotations
    make_sale(customers[1], [(table, 6), (chair, 24), (install, 2)],
        professional, today, confirm=False)
    make_sale(customers[3], [(chair, 12)], counter, today, confirm=False)

    # Opportunities
    Employee = Model.get('company.employee', config=config)
    employee_party = Party(name="Claire Vendeuse")
    employee_party.save()
    employee = Employee(party=employee_party, company=company)
    employee.save()
    Opportunity = Model.get('sale.opportunity', config=config)
    lead = Opportunity(description="Renouvellement du mobilier de l'accueil")
    lead.party = customers[1]
    lead.save()
    opportunity = Opportunity(description="Équipement de la salle de réunion")
    opportunity.party = customers[2]
    opportunity.employee = employee
    opportunity.amount = Decimal('2400')
    opportunity.payment_term = term
    opportunity.save()
    opportunity.click('opportunity')

    # One running subscription for the yearly maintenance
    RuleSet = Model.get(
        'sale.subscription.recurrence.rule.set', config=config)
    monthly = RuleSet(name="Mensuel")
    rule, = monthly.rules
    rule.freq = 'monthly'
    rule.interval = 1
    monthly.save()
    Service = Model.get('sale.subscription.service', config=config)
    service = Service(product=maintenance)
    service.save()
    Subscription = Model.get('sale.subscription', config=config)
    subscription = Subscription(party=customers[3])
    subscription.start_date = periods[0].start_date
    subscription.invoice_recurrence = monthly
    line = subscription.lines.new(service=service)
    line.quantity = 1
    subscription.click('quote')
    subscription.click('run')
    return True
