# This file is part of the marketplace modules for Tryton.
"""The Autofacturation document (self-billing invoice) is a French legal
invoice issued as Factur-X, and its e-mail is written from a template.

A French company bills a French vendor (French document) with two VAT rates
and a clawback, and an English-speaking vendor (English document).  The PDF
the report action returns is read back: its text with ``pdftotext``, its
XML with the factur-x library, checked against the library's XSD.

Amounts by hand, vendor "Atelier Dupont" (commission 15 %, no support):
- Lampe (VAT 20 %): 2 × 50.00 sold, 1 refunded: net 50.00, payout 42.50
- Bol (VAT 5.5 %): 3 × 20.00: net 60.00, payout 51.00
- commission line: −(15.00 − 7.50 + 9.00) = −16.50 (VAT 20 %)
- untaxed 50.00 + 60.00 − 16.50 = 93.50 (= 85.00 + 51.00 − 42.50)
- VAT 20 %: base 33.50, 6.70; VAT 5.5 %: base 60.00, 3.30; total 103.50
"""
import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from lxml import etree

NS = {
    'rsm': 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
    'ram': 'urn:un:unece:uncefact:data:standard:'
    'ReusableAggregateBusinessInformationEntity:100',
    'udt': 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
    }
COMPANY_SIREN = '732829320'
DUPONT_SIREN = '552100554'
SMITH_SIREN = '443061841'

pytestmark = pytest.mark.skipif(
    not (shutil.which('soffice') and shutil.which('pdftotext')),
    reason="LibreOffice and poppler-utils make and read the PDF")


def vat_of(siren):
    "The French intra-EU VAT number of the SIREN (valid check digits)"
    from stdnum.fr import tva
    number = 'FR%02d%s' % ((12 + 3 * (int(siren) % 97)) % 97, siren)
    assert tva.is_valid(number)
    return number


def add_legal_data(party, street, postal_code, city, country, siren=None,
        lang=None):
    address, = party.addresses
    address.street = street
    address.postal_code = postal_code
    address.city = city
    address.country = country
    if siren:
        party.identifiers.new(type='fr_siren', code=siren)
        party.identifiers.new(type='eu_vat', code=vat_of(siren))
    if lang:
        party.lang = lang
    party.save()


@pytest.fixture(scope='module')
def af(build_marketplace_db):
    from proteus import Model
    from trytond.modules.account.tests.tools import create_tax
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    from trytond.tests.test_tryton import drop_db

    data = build_marketplace_db()
    company = data['company']

    Lang = Model.get('ir.lang')
    fr, = Lang.find([('code', '=', 'fr')])
    fr.date = '%d/%m/%Y'
    fr.save()
    fr.click('load_translations')
    en, = Lang.find([('code', '=', 'en')])
    Country = Model.get('country.country')
    france = Country(name="France", code='FR', code3='FRA')
    france.save()

    add_legal_data(company.party, "12 rue des Artisans", '75011', "Paris",
        france, COMPANY_SIREN, fr)

    taxes = {}
    for rate, name in [
            (Decimal('.20'), "TVA 20 %"), (Decimal('.055'), "TVA 5,5 %")]:
        customer_tax = create_tax(rate)
        customer_tax.save()
        tax = create_tax(rate)
        tax.description = name
        tax.unece_code = 'VAT'
        tax.unece_category_code = 'S'
        tax.save()
        taxes[rate] = customer_tax, tax
    Category = Model.get('product.category')
    categories = {}
    for rate in taxes:
        category = Category(name=f"Goods {rate}", accounting=True)
        category.account_expense = data['accounts']['expense']
        category.account_revenue = data['accounts']['revenue']
        category.customer_taxes.append(taxes[rate][0])
        category.supplier_taxes.append(taxes[rate][1])
        category.save()
        categories[rate] = category
    # the commission line bears the standard rate through another tax (as
    # the French chart has a goods and a services tax of each rate): the
    # document still shows one VAT total per rate
    services = Category(name="Services", accounting=True)
    services.account_expense = data['accounts']['expense']
    services.account_revenue = data['accounts']['revenue']
    services_tax = create_tax(Decimal('.20'))
    services_tax.description = "TVA 20 % services"
    services_tax.save()
    Tax = Model.get('account.tax')
    services.customer_taxes.append(Tax(taxes[Decimal('.20')][0].id))
    services.supplier_taxes.append(services_tax)
    services.save()
    commission = data['commission'].template
    commission.account_category = services
    commission.save()

    PaymentTerm = Model.get('account.invoice.payment_term')
    term = PaymentTerm(name="30 jours")
    line = term.lines.new(type='remainder')
    line.relativedeltas.new(days=30)
    term.save()

    dupont = create_vendor("Atelier Dupont", Decimal('0.15'))
    add_legal_data(dupont, "3 place du Marché", '69002', "Lyon", france,
        DUPONT_SIREN, fr)
    dupont.supplier_payment_term = term
    dupont.save()
    smith = create_vendor("Smith Woodwork", Decimal('0.10'))
    add_legal_data(smith, "8 quai des Chartrons", '33000', "Bordeaux",
        france, SMITH_SIREN, en)
    smith.supplier_payment_term = term
    smith.save()

    lampe = create_vendor_product(
        "Lampe", Decimal('50'), dupont, categories[Decimal('.20')])
    lampe.template.type = 'goods'
    lampe.template.save()
    bol = create_vendor_product(
        "Bol", Decimal('20'), dupont, categories[Decimal('.055')])
    bol.template.type = 'goods'
    bol.template.save()
    chair = create_vendor_product(
        "Chair", Decimal('120'), smith, categories[Decimal('.20')])
    chair.template.type = 'goods'
    chair.template.save()

    data['sell']([(lampe, 2, Decimal('50')), (bol, 3, Decimal('20')),
            (chair, 1, Decimal('120'))])
    # the clawback: one lamp refunded
    data['sell']([(lampe, -1, Decimal('50'))])

    data.update(france=france, fr=fr, en=en, term=term,
        dupont=dupont, smith=smith, products=(lampe, bol, chair),
        taxes=taxes)
    data['wizard'] = data['payout'](vendors=[dupont, smith])
    Invoice = Model.get('account.invoice')
    data['dupont_invoice'], = Invoice.find([('party', '=', dupont.id)])
    data['smith_invoice'], = Invoice.find([('party', '=', smith.id)])
    yield data
    drop_db()


def report_pdf(invoice):
    from proteus import Report
    extension, content, _, name = Report(
        'marketplace.payout.report').execute([invoice], {})
    assert extension == 'pdf'
    return bytes(content)


def pdf_text(pdf, tmp_path):
    path = tmp_path / 'document.pdf'
    path.write_bytes(pdf)
    text = subprocess.run(['pdftotext', '-layout', str(path), '-'],
        check=True, capture_output=True, text=True).stdout
    # one space between words: the layout aligns columns with spaces and
    # long lines wrap
    return re.sub(r'[\s\u00a0\u202f]+', ' ', text)


def test_invoice_amounts(af):
    "The posted invoice holds the amounts computed by hand"
    invoice = af['dupont_invoice']
    assert invoice.state == 'posted'
    assert [(l.product.name, l.quantity, l.amount) for l in invoice.lines] \
        == [("Lampe", 1.0, Decimal('50.00')), ("Bol", 3.0, Decimal('60.00')),
            ("Commission", 1.0, Decimal('-16.50'))]
    assert (invoice.untaxed_amount, invoice.tax_amount,
        invoice.total_amount) == (
        Decimal('93.50'), Decimal('10.00'), Decimal('103.50'))


def test_french_mentions(af, tmp_path):
    "The document of a French vendor is in French with every mention"
    invoice = af['dupont_invoice']
    today = invoice.invoice_date
    text = pdf_text(report_pdf(invoice), tmp_path)
    company = af['company'].party.name
    cur = af['company'].currency.symbol
    start, end = (
        invoice.marketplace_period_start, invoice.marketplace_period_end)
    assert end - start == dt.timedelta(days=31)
    due = today + dt.timedelta(days=30)
    number = invoice.number
    mentions = [
        "Autofacturation",
        f"Facture émise par {company} au nom et pour le compte de "
        "Atelier Dupont",
        "mandat d'autofacturation",
        "289 I-2",
        # the seller, its address, SIREN and VAT number
        "Vendeur (mandant)", "Atelier Dupont",
        # Tryton's French address format writes street and city in capitals
        "3 PLACE DU MARCHÉ", "69002 LYON", "SIREN : 552 100 554",
        "N° TVA intracommunautaire : " + vat_of(DUPONT_SIREN),
        # the buyer
        "Acquéreur, émetteur de la facture (mandataire)",
        "12 RUE DES ARTISANS", "75011 PARIS", "SIREN : 732 829 320",
        "N° TVA intracommunautaire : " + vat_of(COMPANY_SIREN),
        f"Numéro de facture {number}",
        "Date d'émission " + today.strftime('%d/%m/%Y'),
        "Période de facturation %s – %s" % (
            start.strftime('%d/%m/%Y'), end.strftime('%d/%m/%Y')),
        "Catégorie de l'opération Livraison de biens",
        "Date d'échéance " + due.strftime('%d/%m/%Y'),
        "Conditions de paiement 30 jours",
        "pénalités", "40",
        # one VAT total per rate, amounts in French format
        f"TVA 5,5 % 60,00 {cur} 3,30 {cur}",
        f"Total HT 93,50 {cur}", f"Total TVA 10,00 {cur}",
        f"Total TTC 103,50 {cur}",
        "Décompte des ventes", "3 ventes",
        ]
    missing = [m for m in mentions if m not in text]
    assert not missing, text
    # one row for the two taxes of 20 % (named after one of them)
    assert len(re.findall(
            r"TVA 20 %( services)? 33,50 \S+ 6,70 ", text)) == 1, text
    assert f"-3,30 {cur}" not in text
    for english in ["Invoice lines", "Seller", "sales", "Total excluding"]:
        assert english not in text


def test_english_mentions(af, tmp_path):
    "The document of an English-speaking vendor is in English"
    invoice = af['smith_invoice']
    today = invoice.invoice_date
    text = pdf_text(report_pdf(invoice), tmp_path)
    company = af['company'].party.name
    cur = af['company'].currency.symbol
    due = today + dt.timedelta(days=30)
    # chair 120.00 × 0.9 = 108.00 payout, commission 12.00
    mentions = [
        "Autofacturation",
        f"Invoice issued by {company} in the name and on behalf of "
        "Smith Woodwork",
        "self-billing mandate", "289 I-2",
        "Seller (vendor, principal)", "8 QUAI DES CHARTRONS",
        "33000 BORDEAUX", "SIREN: 443 061 841",
        "Intra-EU VAT number: " + vat_of(SMITH_SIREN),
        "Buyer, issuer of the invoice (agent)", "SIREN: 732 829 320",
        f"Invoice number {invoice.number}",
        "Issue date " + today.strftime('%m/%d/%Y'),
        "Billing period", "Category of operation Delivery of goods",
        "Payment due date " + due.strftime('%m/%d/%Y'),
        "Payment terms 30 jours",
        f"TVA 20 % {cur}108.00 {cur}21.60",
        f"Total excluding VAT {cur}108.00", f"Total VAT {cur}21.60",
        f"Total including VAT {cur}129.60",
        "Breakdown by sale", "1 sales",
        ]
    missing = [m for m in mentions if m not in text]
    assert not missing, text
    assert "Vendeur" not in text


def facturx_xml(invoice):
    import facturx
    pdf = report_pdf(invoice)
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == 'factur-x.xml'
    return pdf, xml


def test_facturx_two_rates_and_clawback(af):
    "The embedded CII passes the XSD, is type 389, totals to the cent"
    import facturx
    invoice = af['dupont_invoice']
    pdf, xml = facturx_xml(invoice)
    assert facturx.get_flavor(etree.fromstring(xml)) == 'factur-x'
    assert facturx.get_level(etree.fromstring(xml)) == 'en16931'
    assert facturx.xml_check_xsd(
        xml, flavor='factur-x', level='en16931') is True
    # PDF/A-3 declared in the XMP metadata
    assert b'<pdfaid:part>3</pdfaid:part>' in pdf

    tree = etree.fromstring(xml)

    def text(path, node=tree):
        return [e.text for e in node.iterfind(path, NS)]
    assert text('rsm:ExchangedDocument/ram:TypeCode') == ['389']
    assert text('rsm:ExchangedDocument/ram:ID') == [invoice.number]
    agreement = 'rsm:SupplyChainTradeTransaction/' \
        'ram:ApplicableHeaderTradeAgreement/'
    assert text(agreement + 'ram:SellerTradeParty/ram:Name') == [
        "Atelier Dupont"]
    assert text(agreement + 'ram:SellerTradeParty/'
        'ram:SpecifiedTaxRegistration/ram:ID') == [vat_of(DUPONT_SIREN)]
    assert text(agreement + 'ram:SellerTradeParty/'
        'ram:SpecifiedLegalOrganization/ram:ID') == [DUPONT_SIREN]
    assert text(agreement + 'ram:BuyerTradeParty/ram:Name') == [
        af['company'].party.name]
    assert text(agreement + 'ram:BuyerTradeParty/'
        'ram:PostalTradeAddress/ram:CityName') == ["Paris"]
    settlement = 'rsm:SupplyChainTradeTransaction/' \
        'ram:ApplicableHeaderTradeSettlement/'
    taxes = [(t.findtext('ram:RateApplicablePercent', namespaces=NS),
            t.findtext('ram:BasisAmount', namespaces=NS),
            t.findtext('ram:CalculatedAmount', namespaces=NS))
        for t in tree.iterfind(settlement + 'ram:ApplicableTradeTax', NS)]
    assert taxes == [('20', '33.50', '6.70'), ('5.5', '60.00', '3.30')]
    totals = settlement + \
        'ram:SpecifiedTradeSettlementHeaderMonetarySummation/'
    assert [Decimal(text(totals + name)[0]) for name in [
            'ram:LineTotalAmount', 'ram:TaxTotalAmount',
            'ram:GrandTotalAmount', 'ram:DuePayableAmount']] == [
        invoice.untaxed_amount, invoice.tax_amount, invoice.total_amount,
        invoice.total_amount] == [
        Decimal('93.50'), Decimal('10.00'), Decimal('103.50'),
        Decimal('103.50')]
    lines = [(l.findtext('.//ram:Name', namespaces=NS),
            l.findtext('.//ram:BilledQuantity', namespaces=NS),
            l.findtext('.//ram:ChargeAmount', namespaces=NS),
            l.findtext('.//ram:LineTotalAmount', namespaces=NS))
        for l in tree.iterfind(
            'rsm:SupplyChainTradeTransaction/'
            'ram:IncludedSupplyChainTradeLineItem', NS)]
    # the commission: a negative quantity at a positive price
    assert lines == [
        ("Lampe", '1', '50', '50.00'), ("Bol", '3', '20', '60.00'),
        ("Commission", '-1', '16.5', '-16.50')]
    assert sum(Decimal(l[3]) for l in lines) == invoice.untaxed_amount
    period = settlement + 'ram:BillingSpecifiedPeriod/'
    assert text(period + 'ram:StartDateTime/udt:DateTimeString') == [
        invoice.marketplace_period_start.strftime('%Y%m%d')]


def test_missing_legal_data_listed_before_billing(af):
    "Every vendor lacking a mandatory datum is named with what it lacks"
    from proteus import Model
    from trytond.modules.marketplace_sales.tests.tools import (
        create_vendor, create_vendor_product)
    from trytond.modules.marketplace_sales_payout.exceptions import (
        PayoutError)
    noaddress = create_vendor("Sans Adresse", Decimal('0.10'))
    novat = create_vendor("Sans TVA", Decimal('0.10'))
    address, = novat.addresses
    address.street = "1 rue Haute"
    address.postal_code = '13001'
    address.city = "Marseille"
    address.country = af['france']
    novat.identifiers.new(type='fr_siren', code='542065479')
    novat.save()
    category = af['products'][0].template.account_category
    for vendor in [noaddress, novat]:
        product = create_vendor_product(
            f"Produit {vendor.name}", Decimal('10'), vendor, category)
        af['sell']([(product, 1, Decimal('10'))])
    Sale = Model.get('marketplace.sale')
    before = {s.id: s.state for s in Sale.find([])}
    with pytest.raises(PayoutError) as info:
        af['payout'](vendors=[noaddress, novat])
    message = info.value.message
    assert 'Sans Adresse (a complete postal address' in message
    assert 'Sans TVA (an intra-EU VAT number' in message
    assert 'Sans TVA (a complete' not in message
    assert 'SIREN' not in message.split('Sans TVA')[1]
    assert {s.id: s.state for s in Sale.find([])} == before


def test_email_with_template(af):
    "The e-mail is written from the configured template, PDF attached"
    import facturx
    from proteus import Model
    from trytond.modules.marketplace_sales_payout.tests.tools import (
        SMTPServer, attachments)
    Configuration = Model.get('marketplace.configuration')
    configuration = Configuration(1)
    shipped = configuration.payout_email_template
    assert shipped is not None
    Template = Model.get('ir.email.template')
    template, = Template.duplicate([shipped])
    template.subject = "Votre autofacturation ${record.number}"
    template.body = ("<p>Bonjour ${record.party.name},</p>"
        "<p>Montant : ${format_currency(record.total_amount, "
        "record.party.lang, record.currency)}</p>")
    template.save()
    configuration.payout_email_template = template
    configuration.save()
    Party = Model.get('party.party')
    dupont = Party(af['dupont'].id)
    dupont.contact_mechanisms.new(
        type='email', value='dupont@example.com', invoice=True)
    dupont.save()
    invoice = af['dupont_invoice']
    try:
        with SMTPServer() as smtp:
            invoice.click('marketplace_email')
        (recipients, message), = smtp.messages
    finally:
        configuration.payout_email_template = shipped
        configuration.save()
    assert recipients == ['dupont@example.com']
    assert message['Subject'] == f"Votre autofacturation {invoice.number}"
    body = re.sub(r'[\s\u00a0\u202f]+', ' ', re.sub(
            r'<[^>]+>', ' ', message.get_body(('html', 'plain')).get_content()))
    assert "Bonjour Atelier Dupont, " in body
    assert "Montant : 103,50 " in body
    (filename, content_type, pdf), = attachments(message)
    assert content_type == 'application/pdf'
    _, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert b'<ram:TypeCode>389</ram:TypeCode>' in xml
