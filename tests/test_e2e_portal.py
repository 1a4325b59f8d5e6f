# This file is part of the marketplace modules for Tryton.
"""Browser walk through the vendor portal of the demo (setup/e2e/portal).

Debian's chromium driven by playwright-core as a demo vendor: log in, filter
the sales, download the CSV and an Autofacturation PDF, switch to French, a
phone-sized screen, log out.  Skipped, with the reason shown, when chromium
or node (and npm to install playwright-core) are missing.
"""


def test_portal_walk(tmp_path, browser_walk):
    result = browser_walk('portal', tmp_path, web_client=False)
    shots = tmp_path / 'shots'
    assert result['email'] == 'atelier-lumiere@example.com'
    assert result['title'] == 'My sales - Vendor portal'
    # the sales of the filter, all to invoice, are the rows of the CSV
    assert int(result['filtered_count']) == result['filtered_rows'] > 0
    assert set(result['filtered_states']) == {'To Invoice'}
    assert result['csv_header'].startswith('date,invoice,invoice_date,')
    assert result['csv_rows'] == result['filtered_rows']
    assert int(result['total_count']) >= result['filtered_rows']
    # the previous month was billed: an Autofacturation PDF
    assert result['invoices'] >= 1
    assert result['pdf_magic'] == '%PDF-' and result['pdf_bytes'] > 10000
    assert result['french_title'] == 'Mes autofactures'
    assert result['french_sales_title'] == 'Mes ventes'
    # nothing wider than the phone: the tables scroll inside their box
    assert result['phone_scroll_width'] <= 390
    assert result['after_logout_url'].endswith('/marketplace/vendor/login')
    for name in ['portal-login', 'portal-sales', 'portal-invoices',
            'portal-sales-fr', 'portal-phone']:
        shot = shots / f'{name}.png'
        assert shot.exists() and shot.stat().st_size > 10000, name
