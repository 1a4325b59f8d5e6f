# This file is part of the marketplace modules for Tryton.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from .payout import _in_france, _missing_legal_data


class MarketplaceSale(metaclass=PoolMeta):
    __name__ = 'marketplace.sale'

    @classmethod
    def payout_preview(cls, from_date, to_date, vendors=None):
        """Return what bill would do for the period, one dict per company,
        vendor and currency: the sales count, net, commission and payout
        summed, the action ('email', 'post', 'skip' or 'error') and its
        reason.  Nothing is written nor locked; the skip rule is bill's."""
        pool = Pool()
        Configuration = pool.get('marketplace.configuration')
        Party = pool.get('party.party')
        Company = pool.get('company.company')

        minimum = Configuration(1).minimum_payout or Decimal(0)
        groups = cls._payout_groups(from_date, to_date, vendors)
        parties = {p.id: p for p in Party.browse(
                sorted({k[1] for k, _ in groups}))}
        companies = {c.id: c for c in Company.browse(
                sorted({k[0] for k, _ in groups}))}
        rows = []
        for (company, vendor, currency), products in groups:
            vendor = parties[vendor]
            payout = sum(p.payout for p in products)
            action, reason = cls._payout_preview_action(
                companies[company], vendor, payout, minimum)
            rows.append({
                    'company': company,
                    'vendor': vendor.id,
                    'currency': currency,
                    'sales': sum(len(p.ids) for p in products),
                    'net': sum(p.net for p in products),
                    'commission': sum(p.commission for p in products),
                    'payout': payout,
                    'action': action,
                    'reason': reason,
                    })
        return rows

    @classmethod
    def _payout_preview_action(cls, company, vendor, total, minimum):
        "Return the action of the preview for the vendor and its reason"
        skip = cls._payout_skip_reason(total, minimum)
        if skip:
            return 'skip', gettext(
                'marketplace_sales_payout.msg_preview_skip_%s' % skip,
                minimum=minimum)
        lack = cls._payout_vendor_lack(vendor)
        if lack:
            return 'error', gettext(
                'marketplace_sales_payout.msg_preview_no_%s' % lack)
        if _in_france(company.party):
            missing = []
            for party in [company.party, vendor]:
                missing.extend(
                    '%s: %s' % (party.rec_name, m)
                    for m in _missing_legal_data(party))
            if missing:
                return 'error', '; '.join(missing)
        address = vendor.address_get(type='invoice')
        if not address.contact_mechanism_get('email', usage='invoice'):
            return 'post', gettext(
                'marketplace_sales_payout.msg_preview_no_email')
        return 'email', None
