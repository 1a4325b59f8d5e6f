# This file is part of the marketplace modules for Tryton.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from . import bulk
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
        totals = cls._payout_totals(
            cls._payout_query(from_date, to_date, vendors))
        parties = {p.id: p for p in bulk.browse(
                Party, sorted({k[1] for k, _ in totals}))}
        companies = {c.id: c for c in bulk.browse(
                Company, sorted({k[0] for k, _ in totals}))}
        rows = []
        for (company, vendor, currency), total in totals:
            vendor = parties[vendor]
            action, reason = cls._payout_preview_action(
                companies[company], vendor, total.payout, minimum)
            rows.append({
                    'company': company,
                    'vendor': vendor.id,
                    'currency': currency,
                    'sales': total.sales,
                    'net': total.net,
                    'commission': total.commission,
                    'payout': total.payout,
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
