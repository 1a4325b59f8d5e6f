# This file is part of the marketplace modules for Tryton.
from collections import defaultdict
from decimal import Decimal

from sql import Column, Null
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.product import price_digits
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .common import (
    RATE_DIGITS, RATE_QUANTUM, ZERO, check_rate, chunks, field_label)
from .exceptions import (
    AmountValidationError, MissingRateError, SaleEditError)

STATES = [
    ('to_invoice', "To Invoice"),
    ('awaiting_payment', "Awaiting Payment"),
    ('paid', "Paid"),
    ('cancelled', "Cancelled"),
    ]

# Fields a user may correct by hand while the sale is still to invoice.
HAND_FIELDS = {
    'description', 'quantity', 'base_price', 'unit_price', 'gross_amount',
    'discount_rate', 'discount_amount', 'net_amount', 'vendor_support_rate',
    'vendor_support_amount', 'commission_rate', 'commission_amount',
    'tax_rate', 'payout_amount',
    }

# The amounts bound by commission + payout = net, and what follows an edit
AMOUNT_NAMES = {'net_amount', 'commission_amount', 'payout_amount'}
_OTHER_AMOUNT = {
    'commission_amount': 'payout_amount',
    'payout_amount': 'commission_amount',
    }


def compute_amounts(
        currency, base_price, quantity, net_amount, commission_rate,
        support_rate):
    """Return the amounts of a marketplace sale (doc/design.rst).

    Each stored amount is rounded once with the currency; commission is
    what is left of the net amount once the payout is known, so that
    commission + payout = net always holds to the cent.
    """
    gross_amount = currency.round(base_price * quantity)
    discount_amount = gross_amount - net_amount
    if gross_amount:
        discount_rate = (discount_amount / gross_amount).quantize(
            RATE_QUANTUM)
    else:
        discount_rate = ZERO
    vendor_support_amount = currency.round(discount_amount * support_rate)
    payout_amount = (
        currency.round(gross_amount * (1 - commission_rate))
        - vendor_support_amount)
    commission_amount = net_amount - payout_amount
    return {
        'gross_amount': gross_amount,
        'discount_amount': discount_amount,
        'discount_rate': discount_rate,
        'vendor_support_amount': vendor_support_amount,
        'payout_amount': payout_amount,
        'commission_amount': commission_amount,
        }


class MarketplaceSale(Workflow, ModelSQL, ModelView):
    "Marketplace Sale"
    __name__ = 'marketplace.sale'

    _states = {
        'readonly': Eval('state') != 'to_invoice',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)
    date = fields.Date(
        "Date", required=True, readonly=True,
        help="The date the customer invoice was paid.")
    vendor = fields.Many2One(
        'party.party', "Vendor", required=True, readonly=True,
        ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    customer = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    product = fields.Many2One(
        'product.product', "Product", required=True, readonly=True,
        ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    description = fields.Text("Description", states=_states)
    quantity = fields.Float(
        "Quantity", digits='unit', required=True, states=_states)
    unit = fields.Many2One('product.uom', "Unit", readonly=True)
    base_price = Monetary(
        "Base Price", currency='currency', digits=price_digits,
        required=True, states=_states,
        help="The unit price before discount.")
    unit_price = Monetary(
        "Unit Price", currency='currency', digits=price_digits,
        required=True, states=_states,
        help="The unit price invoiced to the customer.")
    gross_amount = Monetary(
        "Gross Amount", currency='currency', digits='currency',
        required=True, states=_states,
        help="Base price × quantity.")
    discount_rate = fields.Numeric(
        "Discount Rate", digits=RATE_DIGITS, required=True, states=_states)
    discount_amount = Monetary(
        "Discount", currency='currency', digits='currency',
        required=True, states=_states,
        help="Gross amount − net amount.")
    net_amount = Monetary(
        "Net Amount", currency='currency', digits='currency',
        required=True, states=_states,
        help="The untaxed amount of the customer invoice line.")
    vendor_support_rate = fields.Numeric(
        "Support Rate", digits=RATE_DIGITS, required=True, states=_states,
        help="The share of the discount borne by the vendor.")
    vendor_support_amount = Monetary(
        "Support Amount", currency='currency', digits='currency',
        required=True, states=_states,
        help="The part of the discount borne by the vendor.")
    commission_rate = fields.Numeric(
        "Commission Rate", digits=RATE_DIGITS, required=True, states=_states)
    commission_amount = Monetary(
        "Commission", currency='currency', digits='currency',
        required=True, states=_states,
        help="What the marketplace keeps: net amount − payout.")
    tax_rate = fields.Numeric(
        "Tax Rate", digits=RATE_DIGITS, states=_states,
        help="The sum of the percentage taxes of the invoice line "
        "(information only).")
    payout_amount = Monetary(
        "Payout", currency='currency', digits='currency',
        required=True, states=_states,
        help="What the vendor receives: "
        "gross × (1 − commission rate) − support amount.")
    invoice = fields.Many2One(
        'account.invoice', "Customer Invoice", required=True, readonly=True,
        ondelete='RESTRICT')
    invoice_line = fields.Many2One(
        'account.invoice.line', "Customer Invoice Line", required=True,
        readonly=True, ondelete='RESTRICT')
    vendor_invoice = fields.Many2One(
        'account.invoice', "Vendor Invoice", readonly=True,
        ondelete='RESTRICT')
    vendor_invoice_line = fields.Many2One(
        'account.invoice.line', "Vendor Invoice Line", readonly=True,
        ondelete='RESTRICT')
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    edited = fields.Boolean(
        "Edited", readonly=True,
        help="Changed by hand since it was computed.")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('invoice_line_unique', Unique(t, t.invoice_line),
                'marketplace_sales.msg_marketplace_sale_invoice_line_unique'),
            ]
        cls._sql_indexes.update({
                # payout of some vendors, and of a period for all vendors
                Index(t, (t.state, Index.Equality()),
                    (t.vendor, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.state, Index.Equality()),
                    (t.date, Index.Range())),
                # vendor portal rule, sales list by vendor, party deletion
                Index(t, (t.vendor, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.company, Index.Range())),
                Index(t, (t.invoice, Index.Range())),
                Index(t, (t.vendor_invoice, Index.Range()),
                    where=t.vendor_invoice != Null),
                })
        cls._order = [
            ('date', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('to_invoice', 'awaiting_payment'),
            ('awaiting_payment', 'paid'),
            ('paid', 'awaiting_payment'),
            ('awaiting_payment', 'to_invoice'),
            ('to_invoice', 'cancelled'),
            ('cancelled', 'to_invoice'),
            }
        cls._buttons.update({
                'recompute': {
                    'invisible': Eval('state') != 'to_invoice',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'to_invoice'

    @classmethod
    def default_edited(cls):
        return False

    def get_rec_name(self, name):
        return '%s - %s' % (
            self.invoice_line.rec_name if self.invoice_line else '',
            self.product.rec_name if self.product else '')

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('invoice',) + tuple(clause[1:]),
            ('product',) + tuple(clause[1:]),
            ('vendor',) + tuple(clause[1:]),
            ]

    @classmethod
    def validate_fields(cls, sales, field_names):
        super().validate_fields(sales, field_names)
        if Transaction().context.get('_marketplace_compute'):
            # computed from rates already validated on party and product,
            # commission as net - payout
            return
        # only what was written is checked: the workflow writes state and
        # links on every sale it bills
        if field_names is None or (
                {'commission_rate', 'vendor_support_rate'} & field_names):
            for sale in sales:
                check_rate(sale, 'commission_rate')
                check_rate(sale, 'vendor_support_rate')
        if field_names is None or AMOUNT_NAMES & field_names:
            for sale in sales:
                cls._check_balance(
                    sale, sale.net_amount, sale.commission_amount,
                    sale.payout_amount)

    # Computation ---------------------------------------------------------

    @classmethod
    def _base_price(cls, line):
        "The unit price before discount of the invoice line"
        pool = Pool()
        SaleLine = pool.get('sale.line')
        InvoiceLine = pool.get('account.invoice.line')
        origin = line.origin
        # A credit note line points to the invoice line it credits
        if isinstance(origin, InvoiceLine):
            origin = origin.origin
        if (isinstance(origin, SaleLine)
                and origin.base_price is not None):
            return origin.base_price
        return line.unit_price

    @classmethod
    def get_rates(cls, line):
        """Return (commission_rate, support_rate) for the invoice line.

        The commission rate comes from the product, else the vendor, else the
        marketplace configuration; it is an error to have none.
        """
        pool = Pool()
        Configuration = pool.get('marketplace.configuration')
        template = line.product.template
        vendor = template.marketplace_vendor
        rate = template.marketplace_commission_rate
        if rate is None:
            rate = vendor.marketplace_commission_rate
        if rate is None:
            rate = Configuration(1).default_commission_rate
        if rate is None:
            raise MissingRateError(gettext(
                    'marketplace_sales.msg_missing_commission_rate',
                    product=line.product.rec_name,
                    vendor=vendor.rec_name,
                    invoice=line.invoice.rec_name if line.invoice else ''))
        support_rate = vendor.marketplace_support_rate or ZERO
        return rate, support_rate

    @classmethod
    def _tax_rate(cls, line):
        """The sum of the percentage taxes of the line at its tax date,
        children included (the French chart keeps the 20 % of a VAT on a
        child tax, beside the 19.6 % child that ended in 2013)"""
        date = line.invoice.tax_date if line.invoice else None

        def valid(tax):
            return date is None or (
                (not tax.start_date or tax.start_date <= date)
                and (not tax.end_date or date <= tax.end_date))

        def rates(taxes):
            for tax in taxes:
                if not valid(tax):
                    continue
                if tax.type == 'percentage' and tax.rate is not None:
                    yield tax.rate
                yield from rates(tax.childs)
        return sum(rates(line.taxes), ZERO)

    @classmethod
    def compute_values(cls, line, commission_rate, support_rate):
        "Return the computed values of the sale of the invoice line"
        base_price = cls._base_price(line)
        quantity = Decimal(str(line.quantity))
        values = {
            'description': line.description,
            'quantity': line.quantity,
            'unit': line.unit.id if line.unit else None,
            'base_price': base_price,
            'unit_price': line.unit_price,
            'net_amount': line.amount,
            'commission_rate': commission_rate.quantize(RATE_QUANTUM),
            'vendor_support_rate': support_rate.quantize(RATE_QUANTUM),
            'tax_rate': cls._tax_rate(line).quantize(RATE_QUANTUM),
            }
        values.update(compute_amounts(
                line.invoice.currency, base_price, quantity, line.amount,
                commission_rate, support_rate))
        return values

    @classmethod
    def get_values_from_line(cls, line, date):
        "Return the values to create the sale of the invoice line"
        commission_rate, support_rate = cls.get_rates(line)
        invoice = line.invoice
        values = cls.compute_values(line, commission_rate, support_rate)
        values.update({
                'company': invoice.company.id,
                'currency': invoice.currency.id,
                'date': date,
                'vendor': line.product.template.marketplace_vendor.id,
                'customer': invoice.party.id,
                'product': line.product.id,
                'invoice': invoice.id,
                'invoice_line': line.id,
                'state': 'to_invoice',
                'edited': False,
                })
        return values

    @classmethod
    def is_marketplace_line(cls, line):
        return bool(
            line.type == 'line'
            and line.product
            and line.product.template.marketplace_vendor)

    # Hand edits ----------------------------------------------------------

    @classmethod
    def check_modification(cls, mode, sales, values=None, external=False):
        super().check_modification(
            mode, sales, values=values, external=external)
        if mode == 'write' and not Transaction().context.get(
                '_marketplace_compute'):
            forbidden = sorted(values.keys() - HAND_FIELDS)
            if external and forbidden and sales:
                # vendor, invoices and state are the workflow's (payout,
                # paid hook): a user corrects only the hand fields
                raise SaleEditError(gettext(
                        'marketplace_sales.msg_sale_write_workflow_field',
                        field=field_label(cls, forbidden[0]),
                        sale=sales[0].rec_name))
            if HAND_FIELDS & values.keys():
                for sale in sales:
                    if sale.state != 'to_invoice':
                        raise SaleEditError(gettext(
                                'marketplace_sales.msg_sale_edit_billed',
                                sale=sale.rec_name,
                                state=sale.state_string))
        elif mode == 'delete':
            for sale in sales:
                if sale.state != 'cancelled':
                    raise SaleEditError(gettext(
                            'marketplace_sales.msg_sale_delete',
                            sale=sale.rec_name))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if (mode == 'write' and HAND_FIELDS & values.keys()
                and not Transaction().context.get('_marketplace_compute')):
            values['edited'] = True
        return values

    @classmethod
    def write(cls, *args):
        """Write the sales; a hand edit of an amount keeps commission +
        payout = net on each sale (see _balance_hand_edit).

        The amount that follows an edit depends on each sale's stored
        amounts, which preprocess_values does not see: the values are
        split per sale here, before Tryton checks and writes them."""
        if Transaction().context.get('_marketplace_compute'):
            return super().write(*args)
        actions = iter(args)
        args = []
        for sales, values in zip(actions, actions):
            args.extend(cls._balance_hand_edit(sales, values))
        super().write(*args)

    @classmethod
    def _balance_hand_edit(cls, sales, values):
        """Return the write arguments of a hand edit of sales that keep
        commission + payout = net on each sale.

        The amount set by hand is kept and the other one follows: a new
        payout sets the commission to net − payout, a new commission sets
        the payout to net − commission, a new net amount keeps the payout
        and sets the commission.  Nothing else is recomputed.  When the
        values set both commission and payout they must add up to the net
        amount (given or stored), or the edit is refused."""
        given = AMOUNT_NAMES & values.keys()
        if not given or any(values[n] is None for n in given):
            # a missing required amount is refused by the validation
            return [sales, values]
        values = values.copy()
        for name in given:
            # a JSON client may send a float: the sums must be exact
            if not isinstance(values[name], Decimal):
                values[name] = Decimal(str(values[name]))
        if {'commission_amount', 'payout_amount'} <= given:
            # a billed sale is refused by check_modification
            for sale in (s for s in sales if s.state == 'to_invoice'):
                cls._check_balance(sale, **{
                        n: values.get(n, getattr(sale, n))
                        for n in AMOUNT_NAMES})
            return [sales, values]
        if 'net_amount' in given and len(given) == 2:
            other, = given - {'net_amount'}
            values[_OTHER_AMOUNT[other]] = (
                values['net_amount'] - values[other])
            return [sales, values]
        args = []
        for sale in sales:
            sale_values = values.copy()
            net = values.get('net_amount', sale.net_amount)
            if 'commission_amount' in given:
                sale_values['payout_amount'] = (
                    net - values['commission_amount'])
            else:
                sale_values['commission_amount'] = (
                    net - values.get('payout_amount', sale.payout_amount))
            args.extend(([sale], sale_values))
        return args

    @classmethod
    def _check_balance(
            cls, sale, net_amount, commission_amount, payout_amount):
        "Raise if commission + payout is not the net amount"
        if commission_amount + payout_amount != net_amount:
            lang = Pool().get('ir.lang').get()
            currency = sale.currency

            def amount(value):
                return lang.currency(value, currency)
            raise AmountValidationError(gettext(
                    'marketplace_sales.msg_sale_amounts_unbalanced',
                    sale=sale.rec_name,
                    commission=amount(commission_amount),
                    payout=amount(payout_amount),
                    total=amount(commission_amount + payout_amount),
                    net=amount(net_amount)))

    @fields.depends('net_amount', 'payout_amount')
    def on_change_net_amount(self):
        if self.net_amount is not None and self.payout_amount is not None:
            self.commission_amount = self.net_amount - self.payout_amount

    @fields.depends('net_amount', 'payout_amount')
    def on_change_payout_amount(self):
        if self.net_amount is not None and self.payout_amount is not None:
            self.commission_amount = self.net_amount - self.payout_amount

    @fields.depends('net_amount', 'commission_amount')
    def on_change_commission_amount(self):
        if (self.net_amount is not None
                and self.commission_amount is not None):
            self.payout_amount = self.net_amount - self.commission_amount

    @classmethod
    @ModelView.button
    def recompute(cls, sales):
        """Recompute the sales from their invoice line with the current
        rates of product, vendor and configuration"""
        to_write = []
        for sale in sales:
            if sale.state != 'to_invoice':
                raise SaleEditError(gettext(
                        'marketplace_sales.msg_recompute_not_to_invoice',
                        sale=sale.rec_name,
                        state=sale.state_string))
            line = sale.invoice_line
            commission_rate, support_rate = cls.get_rates(line)
            values = cls.compute_values(line, commission_rate, support_rate)
            values['edited'] = False
            to_write.extend(([sale], values))
        if to_write:
            with Transaction().set_context(_marketplace_compute=True):
                cls.write(*to_write)

    # Life cycle ----------------------------------------------------------

    @classmethod
    def create_from_invoices(cls, invoices, date):
        """Create (or bring back) the sales of paid customer invoices.

        Idempotent: an invoice line has one sale at most; a cancelled sale
        comes back to invoice with the rates it stored.  The lines that
        credit a customer invoice line are clawbacks of its sale, made
        after the other sales (see _clawbacks).
        """
        existing = defaultdict(list)
        lines = [
            l for i in invoices for l in i.lines
            if cls.is_marketplace_line(l)]
        if not lines:
            return []
        for sub_ids in chunks([l.id for l in lines]):
            for sale in cls.search([('invoice_line', 'in', sub_ids)]):
                existing[sale.invoice_line.id].append(sale)
        to_create = []
        to_restore = []
        credit_lines, credit_restore = [], []
        for line in lines:
            credited = cls.credited_line(line) is not None
            if line.id in existing:
                cancelled = [
                    s for s in existing[line.id] if s.state == 'cancelled']
                if credited:
                    credit_restore.extend(cancelled)
                else:
                    to_restore.extend(cancelled)
            elif credited:
                credit_lines.append(line)
            else:
                to_create.append(cls.get_values_from_line(line, date(line)))
        if to_restore:
            cls.restore(to_restore)
        sales = []
        if to_create:
            sales = cls._create_computed(to_create)
        if credit_lines or credit_restore:
            sales = list(sales) + cls._clawbacks(
                credit_lines, credit_restore, date)
        return sales

    @classmethod
    def _create_computed(cls, vlist):
        "Create the sales of values computed here"
        with Transaction().set_context(_marketplace_compute=True):
            if cls._by_sql('create'):
                sales = cls._create_sql(vlist)
                if sales is not None:
                    return sales
            return cls.create(vlist)

    # Credit notes --------------------------------------------------------

    @classmethod
    def credited_line(cls, line):
        """Return the customer invoice line that the invoice line takes
        back (Tryton's credit puts it in the origin), or None.

        A line of the same sign as its origin adds to it rather than takes
        back: it is an ordinary line."""
        InvoiceLine = Pool().get('account.invoice.line')
        origin = line.origin
        if (isinstance(origin, InvoiceLine)
                and origin.id is not None and origin.id >= 0
                and origin.invoice and origin.invoice.type == 'out'
                and not (line.quantity or 0) * (origin.quantity or 0) > 0):
            return origin
        return None

    @classmethod
    def _clawbacks(cls, lines, restore, date):
        """Create the clawbacks of the credit note lines and bring back
        the cancelled clawbacks of restore; return the created ones.

        A credit note line takes back only what the active sale of the line
        it credits recorded: without such a sale (the invoice was never
        paid, or Tryton cancelled it with a refund) it makes nothing, and
        all the clawbacks of one sale never take more than its quantity.
        The earlier clawbacks of a sale keep what they took; a clawback
        brought back after others took its share keeps only what is left
        (nothing left: it stays cancelled)."""
        origin_ids = {cls.credited_line(l).id for l in lines} | {
            cls.credited_line(s.invoice_line).id for s in restore}
        recorded = {}
        for sub_ids in chunks(sorted(origin_ids)):
            for sale in cls.search([
                        ('invoice_line', 'in', sub_ids),
                        ('state', '!=', 'cancelled'),
                        ]):
                recorded[sale.invoice_line.id] = sale
        # what the active clawbacks of each recorded sale took back
        taken = defaultdict(Taken)
        for sub_ids in chunks(sorted(recorded)):
            for clawback in cls.search([
                        ('invoice_line.origin', 'in', [
                                'account.invoice.line,%s' % i
                                for i in sub_ids]),
                        ('state', '!=', 'cancelled'),
                        ]):
                origin_id = clawback.invoice_line.origin.id
                if clawback.quantity * recorded[origin_id].quantity < 0:
                    taken[origin_id].add(clawback)

        to_restore, to_create = [], []
        for clawback in sorted(restore, key=lambda s: s.id):
            origin_id = cls.credited_line(clawback.invoice_line).id
            sale = recorded.get(origin_id)
            if not sale:
                continue
            values = cls.get_clawback_values(
                clawback.invoice_line, sale, taken[origin_id])
            if not values:
                continue
            if values['quantity'] != clawback.quantity:
                with Transaction().set_context(_marketplace_compute=True):
                    cls.write([clawback], values)
            taken[origin_id].add(clawback)
            to_restore.append(clawback)
        if to_restore:
            cls.restore(to_restore)
        for line in sorted(lines, key=lambda l: l.id):
            origin_id = cls.credited_line(line).id
            sale = recorded.get(origin_id)
            if not sale:
                continue
            values = cls.get_clawback_values(line, sale, taken[origin_id])
            if not values:
                continue
            invoice = line.invoice
            values.update({
                    'company': invoice.company.id,
                    'currency': sale.currency.id,
                    'date': date(line),
                    'vendor': sale.vendor.id,
                    'customer': invoice.party.id,
                    'product': sale.product.id,
                    'invoice': invoice.id,
                    'invoice_line': line.id,
                    'state': 'to_invoice',
                    'edited': False,
                    })
            taken[origin_id].add_values(values)
            to_create.append(values)
        if not to_create:
            return []
        return list(cls._create_computed(to_create))

    @classmethod
    def get_clawback_values(cls, line, sale, taken):
        """Return the computed values of the clawback of sale by the credit
        note line, or None when the sale has nothing left to take back.

        The quantity taken back is the line's, at most what the earlier
        clawbacks (taken) left of the sale's quantity.  Each amount is the
        sale's share of that quantity, rounded on the running total: after
        k units of n, the clawbacks hold round(amount × k / n) together, so
        a sale credited in parts gives back exactly its recorded amounts,
        to the cent, once all of it is credited.  The rates and prices are
        the sale's: the vendor gives back what the sale paid it.  The
        commission is net − payout, as on every sale."""
        recorded = abs(Decimal(str(sale.quantity)))
        before = taken.quantity
        quantity = min(abs(Decimal(str(line.quantity))), recorded - before)
        if quantity <= 0:
            return None
        after = before + quantity
        sign = -1 if sale.quantity > 0 else 1
        values = {
            'description': line.description,
            'quantity': float(sign * quantity),
            'unit': sale.unit.id if sale.unit else None,
            }
        for name in CLAWBACK_COPIED:
            values[name] = getattr(sale, name)
        for name in CLAWBACK_AMOUNTS:
            amount = getattr(sale, name)
            if after == recorded:
                total = amount
            else:
                total = sale.currency.round(amount * after / recorded)
            values[name] = taken.amounts[name] - total
        values['commission_amount'] = (
            values['net_amount'] - values['payout_amount'])
        return values

    @classmethod
    def _by_sql(cls, mode):
        """Whether the sales may be written in mode ('create' or 'write')
        with SQL, the values being computed here from validated records:
        what the ORM adds then is nothing but its cost.  Not when triggers
        watch the sales in that mode or their history is kept: those need
        the ORM"""
        Trigger = Pool().get('ir.trigger')
        # Tryton caches the triggers by context: the paid hook's context
        # (the payment wizard's active ids) would miss it on every payment
        with without_check_access(), Transaction().reset_context():
            return not cls._history and not Trigger.get_triggers(
                cls.__name__, mode)

    @classmethod
    def _create_sql(cls, vlist):
        """Insert the computed sales as ModelSQL.create would: ids taken
        from the table's sequence, the defaults of the fields not given,
        the create user and date, the records counted as created in the
        transaction; but with one INSERT and without reading the sales
        back to validate them (the values were computed here from
        validated records).
        Return None, and let the ORM create them, where the database gives
        no ids in advance (SQLite) or a default needs the ORM to be set"""
        transaction = Transaction()
        database = transaction.database
        names = vlist[0].keys()
        if (not database.has_multirow_insert()
                or any(v.keys() != names for v in vlist)):
            return None
        # first: on SQLite (no ids in advance) nothing else is computed
        ids = database.nextid(
            transaction.connection, cls._table, count=len(vlist))
        if ids is None:
            return None
        if isinstance(ids, int):
            ids = [ids]
        defaults = cls._clean_defaults(cls.default_get([
                    n for n, f in cls._fields.items()
                    if n not in names and n not in {
                        'id', 'create_uid', 'create_date', 'write_uid',
                        'write_date'}
                    and not (isinstance(f, fields.Function)
                        and not f.setter)],
                with_rec_name=False))
        if any(hasattr(cls._fields[n], 'set') for n in [*names, *defaults]):
            # the ids taken are left unused, as after a rolled back create
            return None
        table = cls.__table__()
        names = sorted([*names, *defaults])
        columns = [table.id, table.create_uid, table.create_date] + [
            Column(table, n) for n in names]
        rows = []
        for id_, values in zip(ids, vlist):
            values = {**defaults, **values}
            rows.append([id_, transaction.user, CurrentTimestamp()] + [
                    cls._fields[n].sql_format(values[n]) for n in names])
        transaction.counter += 1
        cursor = transaction.connection.cursor()
        for sub_rows in grouped_slice(
                rows, backend.MAX_QUERY_PARAMS // len(columns)):
            cursor.execute(*table.insert(columns, list(sub_rows)))
        count = cls._count_cache.get(cls.__name__)
        if count is not None:
            cls._count_cache.set(cls.__name__, count + len(ids))
        transaction.create_records[cls.__name__].extend(ids)
        return cls.browse(ids)

    @classmethod
    @Workflow.transition('to_invoice')
    def restore(cls, sales):
        pass

    @classmethod
    @Workflow.transition('cancelled')
    def cancel(cls, sales):
        pass

    @classmethod
    @Workflow.transition('awaiting_payment')
    def wait_payment(cls, sales):
        pass

    @classmethod
    @Workflow.transition('paid')
    def pay(cls, sales):
        pass


# What a clawback copies from the sale it takes back, and the amounts it
# takes back in proportion (the commission follows: net - payout)
CLAWBACK_COPIED = [
    'base_price', 'unit_price', 'discount_rate', 'vendor_support_rate',
    'commission_rate', 'tax_rate']
CLAWBACK_AMOUNTS = [
    'gross_amount', 'discount_amount', 'net_amount', 'vendor_support_amount',
    'payout_amount']


class Taken:
    "The quantity and amounts the clawbacks of one sale took back"

    def __init__(self):
        self.quantity = ZERO
        self.amounts = defaultdict(Decimal)

    def add(self, clawback):
        self.add_values({
                n: getattr(clawback, n)
                for n in ['quantity', *CLAWBACK_AMOUNTS]})

    def add_values(self, values):
        self.quantity += abs(Decimal(str(values['quantity'])))
        for name in CLAWBACK_AMOUNTS:
            # the amounts of a clawback have the opposite sign of the sale's
            self.amounts[name] -= values[name]
