# This file is part of the marketplace modules for Tryton.
"""Browser end-to-end walk through the demo (setup/e2e/run).

Debian's chromium driven by playwright-core (npm, no browser download)
through the tryton-sao web client served by trytond on a copy of the demo
database, in French as the demo is built (labels, amounts and dates as a
French accountant reads them).  Skipped, with the reason shown, when
chromium, node or the web client (and npm to install it) are missing.
"""
import re


def test_browser_walk(tmp_path, browser_walk):
    result = browser_walk('run', tmp_path)
    shots = tmp_path / 'shots'

    # Financier > Place de marché > Ventes shows the 8 sales of the
    # demo, with worked example A in its default columns (180,00 net, 20,00
    # commission, 160,00 payout; the 200,00 gross is one click away).
    assert result['sales_rows'] == 8
    example_a = [t for t in result['sales_text']
        if 'Atelier Lumière' in t and '180,00' in t]
    assert len(example_a) == 1
    assert '20,00' in example_a[0] and '160,00' in example_a[0]
    # Example A opened in its form: gross, net, support, commission, payout.
    form = result['sale_form'].split(' | ')
    assert {'Atelier Lumière', 'Lampe de chevet', 'Camille Martin'} <= set(
        form)
    assert {'200,00', '180,00', '10,00', '20,00', '160,00'} <= set(form)
    expected = ['marketplace-sales', 'marketplace-sale-form']
    if result['features']['payout']:
        assert 'run Financial > Marketplace > Bill vendor sales' in (
            result['steps'])
        expected += ['bill-vendor-sales', 'payout-preview', 'vendor-invoices']
        # The preview lists each vendor before Bill: the demo vendors have
        # no e-mail address, so their invoices are to post
        assert 'Courrier seulement' in result['payout_preview']
        # The wizard billed the current month: 85.00, 116.66 and 143.84
        # are all above the 20.00 minimum payout.
        assert (result['to_bill_before'], result['to_bill_after']) == (3, 0)
        # The demo vendors have no e-mail address: the wizard says so
        # before opening the invoices.
        assert 'Non envoyées par e-mail' in result['payout_summary']
        expected.append('payout-summary')
        # A vendor invoice shows one marketplace tab, the sales it bills
        # (the customer invoices' tab is hidden): the last one, Tissages
        # Bretons, 2 plaids, 179,80 net, 35,96 commission, 143,84 payout.
        marketplace_tabs = [t for t in result['vendor_invoice_tabs']
            if t.startswith('Ventes place de marché')]
        assert marketplace_tabs == ['Ventes place de marché facturées'], (
            result['vendor_invoice_tabs'])
        invoice = result['vendor_invoice_form']
        assert not re.search(r'Ventes place de marché(?! facturées)',
            invoice), invoice
        assert re.search(r'Tissages Bretons Plaid en laine 2 u 179,80 € '
            r'35,96 € 143,84 €', invoice), invoice
        expected.append('vendor-invoice-form')
    if result['features']['dashboard']:
        # Revenue and expenses of every month of the fiscal year (the
        # figures per product category are a cell of the users' own
        # dashboards, not of this board).
        assert re.search(r'\b\d{4}-01\b', result['dashboard_text'])
        assert 'Produits Charges Résultat' in result['dashboard_text']
        expected.append('sales-dashboard')
    if result['features'].get('desk'):
        expected += check_desk(result['desk'])
    for name in expected:
        shot = shots / f'{name}.png'
        assert shot.exists(), name
        assert shot.stat().st_size > 20000, name
    assert not (shots / 'failure.png').exists()


def check_desk(desk):
    """The sales desk at 1366 px: return the names of its screenshots"""
    # The marketplace sales list shows the columns an accountant reads
    # first, without a horizontal scrollbar.
    sales_list = desk['sales_list']
    assert sales_list['overflow'] <= 0, sales_list
    assert sales_list['headers'][:8] == ['Date', 'Vendeur', 'Produit',
        'Quantité', 'Montant net', 'Commission', 'Reversement', 'État'], (
        sales_list)
    dashboard = desk['dashboard']
    # Opened at its top, one filter bar for the whole board, the 20 latest
    # sales with the legend of their colours.
    assert dashboard['scrolled'] == 0
    assert len(dashboard['cells']) == 3
    assert dashboard['filters'] == 1
    assert dashboard['latest_rows'] == 20
    assert 'vert, facture payée' in dashboard['text']
    # The status column shows in the half-width cell.
    assert dashboard['status_visible']
    assert 'Écart de règlement' in dashboard['text']
    # A new deposit slip has the defaults of the sales configuration.
    form = desk['deposit_form'].split(' | ')
    assert {'Chèques', 'FR76 3000 6000 0112 3456 7890 189'} <= set(form)
    assert any(v.startswith('5121') for v in form)
    # Record Payment: the amount with the currency digits, no horizontal
    # scrollbar in the dialog.
    receive = desk['receive_payment']
    assert receive['amount'].endswith(',00'), receive
    assert receive['overflow'] <= 0, receive
    return ['marketplace-sales-1366', 'sales-dashboard-1366',
        'cheque-deposit-form',
        'receive-payment-dialog']
