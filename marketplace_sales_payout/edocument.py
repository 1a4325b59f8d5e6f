# This file is part of the marketplace modules for Tryton.
"""The Factur-X (CII, profile EN 16931) of a self-billing invoice.

It reuses edocument_uncefact's invoice: type code 389 and the parties of a
supplier invoice (seller = the vendor, buyer = the company) are already its
own.  Only the template is ours: the stock 16B-CII template is the full
UN/CEFACT schema, while Factur-X EN 16931 is a restricted one (it needs the
guideline of the profile in the document context, has no country name nor
subdivision code in addresses, no empty legal organization, a single
payment terms block, prices never negative) and a self-billing invoice must
carry the buyer's address, the billing period and one VAT total per rate.
"""
import os
from decimal import Decimal

import genshi.template

from trytond.modules.edocument_uncefact.edocument import (
    Invoice as UncefactInvoice, remove_comment)
from trytond.tools import cached_property

from .tax import tax_codes

FACTURX_GUIDELINE = 'urn:cen.eu:en16931:2017'
loader = genshi.template.TemplateLoader(
    os.path.join(os.path.dirname(__file__), 'template'), auto_reload=True)


class SelfBillingInvoice(UncefactInvoice):
    __name__ = 'marketplace.payout.edocument'
    __slots__ = ()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # rendered by the Autofacturation report only, which checks access
        cls.__rpc__.pop('render', None)

    def _get_template(self, version):
        return loader.load('CrossIndustryInvoice.xml')

    def render(self, template='factur-x'):
        if self.invoice.state not in {'posted', 'paid'}:
            raise ValueError("Invoice must be posted")
        tmpl = self._get_template(template)
        return (tmpl.generate(
                this=self, Decimal=Decimal, guideline=FACTURX_GUIDELINE)
            .filter(remove_comment)
            .render()
            .encode('utf-8'))

    @cached_property
    def buyer_trade_address(self):
        if self.invoice.type == 'in':
            return self.invoice.company.party.address_get('invoice')
        return super().buyer_trade_address

    @cached_property
    def tax_totals(self):
        return self.invoice.marketplace_tax_totals

    @classmethod
    def party_legal_ids(cls, party, address):
        ids = []
        for identifier in party.identifiers:
            if identifier.type == 'fr_siren':
                ids.append((identifier.code.replace(' ', ''),
                        {'schemeID': '0002'}))
            elif identifier.type == 'fr_siret':
                ids.append((identifier.code.replace(' ', '')[:9],
                        {'schemeID': '0002'}))
        return ids[:1]

    tax_codes = staticmethod(tax_codes)

    @staticmethod
    def line_price_quantity(line):
        """Return (unit price, quantity) with a price never negative: a
        negative line (the commission) is a negative quantity at a positive
        price, as EN 16931 wants"""
        quantity = Decimal(str(line.quantity)).normalize()
        price = line.unit_price
        if price < 0:
            return -price, -quantity
        return price, quantity
