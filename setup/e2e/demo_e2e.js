// End-to-end walk through the demo in the tryton-sao web client.
//
// Run by setup/e2e/run (which starts the server); alone:
//   NODE_PATH=var/e2e/node_modules BASE_URL=http://127.0.0.1:8000/ \
//     DATABASE=demo PASSWORD=marketplace-demo node setup/e2e/demo_e2e.js
//
// Environment: BASE_URL, DATABASE, LOGIN (admin), PASSWORD, SHOTS (folder of
// the screenshots), CHROMIUM (/usr/bin/chromium), PAYOUT=1 to run the
// "Bill vendor sales" wizard for PAYOUT_FROM..PAYOUT_TO (ISO dates),
// DASHBOARD=1 to open the sales dashboard, DATE_FORMAT the admin's date
// format (%d/%m/%Y in French).  The walk reads French or English labels.
// Prints one JSON line with what it saw; exits non-zero on any failure
// (after saving a screenshot of the failing page as failure.png).
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const env = process.env;
const BASE_URL = env.BASE_URL || 'http://127.0.0.1:8000/';
const DATABASE = env.DATABASE || 'demo';
const LOGIN = env.LOGIN || 'admin';
const PASSWORD = env.PASSWORD || 'marketplace-demo';
const SHOTS = env.SHOTS || path.join(__dirname, '..', '..', 'doc',
    'screenshots');
const TIMEOUT = 30000;
const DATE_FORMAT = env.DATE_FORMAT || '%m/%d/%Y';
// The labels of the web client and of our modules the walk clicks, in
// French or English
const ALL_TAB = /^\s*(All|Toutes|Tous)\b/;
const SWITCH = 'button[title="Switch"], button[title="Basculer"]';
const NEW = 'button[title="New"]:visible, button[title="Nouveau"]:visible';
// The pane of the open tab (the forms of other tabs keep their notebook's
// own active pages)
const OPEN_TAB = '#tabcontent > .tab-pane.active';
const BILLED_TAB = /Billed Marketplace Sales|Ventes place de marché factur/;
// The menu entries, as run_e2e.py reads them from the server.
const MENU = {
    financial: env.MENU_FINANCIAL || 'Financial',
    marketplace: env.MENU_MARKETPLACE || 'Marketplace',
    sales: env.MENU_SALES || 'Sales',
    payout: env.MENU_PAYOUT || 'Bill Vendor Sales',
};

const result = {screenshots: [], steps: []};

function step(name) {
    result.steps.push(name);
    process.stderr.write(`e2e: ${name}\n`);
}

async function shot(page, name) {
    // Let the client finish its requests and redraw before the picture.
    await page.waitForLoadState('networkidle', {timeout: TIMEOUT})
        .catch(() => {});
    await page.waitForTimeout(500);
    // No focus ring on the button clicked last.
    await page.evaluate(() => document.activeElement
        && document.activeElement.blur && document.activeElement.blur());
    const file = path.join(SHOTS, name + '.png');
    await page.screenshot({path: file});
    result.screenshots.push(file);
}

// The row of the menu tree titled `title`, after the row titled `after`.
function menuRow(page, title, after) {
    const xpath = after
        ? `//tr[.//div[@title="${after}"]]/following-sibling::tr`
            + `[.//div[@title="${title}"]][1]`
        : `//tr[.//div[@title="${title}"]][1]`;
    return page.locator('xpath=' + xpath).first();
}

// Unfold the menu row titled `title` (folded) and wait for its children:
// the row that follows it changes once they are loaded.
async function expandMenu(page, title, after) {
    const row = menuRow(page, title, after);
    await row.waitFor({timeout: TIMEOUT});
    const next = row.locator('xpath=following-sibling::tr[1]//div[@title]')
        .first();
    const before = await next.count() ? await next.getAttribute('title')
        : null;
    await row.locator('span.expander').first().click();
    const deadline = Date.now() + TIMEOUT;
    while (await next.count() && await next.getAttribute('title') === before) {
        if (Date.now() > deadline) {
            throw new Error(`the menu ${title} does not unfold`);
        }
        await page.waitForTimeout(200);
    }
}

async function openMenu(page, title, after) {
    const row = menuRow(page, title, after);
    await row.waitFor({timeout: TIMEOUT});
    // One click opens a menu entry (a double click would run it twice).
    await row.locator('div[title]').first().click();
}

// The visible list rows of the active tab.
function listRows(page) {
    return page.locator(
        `${OPEN_TAB} .treeview table tbody tr:visible`);
}

// Show or fold the menu (the "Tryton" button toggles it).
async function showMenu(page, visible) {
    const hidden = await page.locator('#menu.hidden').count() > 0;
    if (hidden === visible) {
        await page.locator('[data-toggle="menu"]').first().click();
        await page.waitForTimeout(300);
    }
}

async function login(page) {
    step('login');
    await page.goto(BASE_URL + '#' + DATABASE, {timeout: TIMEOUT});
    await page.waitForSelector('#login', {timeout: TIMEOUT});
    await page.fill('#login', LOGIN);
    await page.click('.login-dialog button[type=submit]');
    const password = page.locator('input[type=password]:visible');
    await password.waitFor({timeout: TIMEOUT});
    await password.fill(PASSWORD);
    await page.keyboard.press('Enter');
    await menuRow(page, MENU.financial).waitFor({timeout: TIMEOUT});
}

async function marketplaceSales(page) {
    step('open Financial > Marketplace > Sales');
    await expandMenu(page, MENU.financial, null);
    await expandMenu(page, MENU.marketplace, MENU.financial);
    await openMenu(page, MENU.sales, MENU.marketplace);
    await page.locator(`${OPEN_TAB} .treeview tbody tr`)
        .filter({hasText: 'Atelier Lumière'}).first()
        .waitFor({timeout: TIMEOUT});
    // The "All" filter tab shows every state.
    const all = page.locator(`${OPEN_TAB} .nav-tabs a[role=tab]`)
        .filter({hasText: ALL_TAB});
    if (await all.count()) {
        await all.first().click();
        await page.waitForTimeout(1500);
    }
    // Fold the menu so that the list shows all its columns.
    await showMenu(page, false);
    const rows = listRows(page);
    result.sales_rows = await rows.count();
    result.sales_text = (await rows.allInnerTexts()).map(
        t => t.replace(/\s+/g, ' ').trim());
    if (result.sales_rows < 1) {
        throw new Error('the marketplace sales list shows no row');
    }
    await shot(page, 'marketplace-sales');

    step('open a sale');
    // The list is editable: select the row, then switch to the form.
    // Worked example A of the specification: 2 lamps at 100.00, 10 % off.
    await rows.filter({hasText: 'Lampe de chevet'})
        .filter({hasText: /180[.,]00/}).first()
        .locator('td.selection-state input, td').first().click();
    await page.locator(`${OPEN_TAB} :is(${SWITCH})`).first()
        .click();
    const form = page.locator(`${OPEN_TAB} .form`).first();
    await form.waitFor({timeout: TIMEOUT});
    await page.waitForTimeout(1000);
    // Wait for the record to be displayed, then read the widgets' values.
    await page.waitForFunction(tab => Array.from(document.querySelectorAll(
        `${tab} .form input`)).some(
        i => i.value === 'Lampe de chevet'), OPEN_TAB, {timeout: TIMEOUT});
    result.sale_form = await form.evaluate(el => Array.from(
        el.querySelectorAll('input:not([type=hidden]), select, textarea'))
        .map(i => i.value).filter(v => v).join(' | '));
    await shot(page, 'marketplace-sale-form');
}

async function fillDate(page, field, iso) {
    // sao names the date input after its field; it takes the user's
    // format
    const [y, m, d] = iso.split('-');
    const input = page.locator('.modal:visible').last()
        .locator(`input[name="${field}"]`).first();
    const value = DATE_FORMAT.replace('%Y', y).replace('%m', m)
        .replace('%d', d);
    // The dialog may still be loading its defaults: fill until it sticks.
    for (let i = 0; i < 5; i++) {
        await input.click();
        await input.fill(value);
        await input.press('Tab');
        await page.waitForTimeout(500);
        if (await input.inputValue() === value) {
            return;
        }
    }
    throw new Error(`cannot set ${field} to ${value}`);
}

async function billVendorSales(page) {
    step('run Financial > Marketplace > Bill vendor sales');
    await showMenu(page, true);
    await openMenu(page, MENU.payout, MENU.marketplace);
    const dialog = page.locator('.modal:visible').last();
    await dialog.waitFor({timeout: TIMEOUT});
    await page.waitForLoadState('networkidle', {timeout: TIMEOUT})
        .catch(() => {});
    if (env.PAYOUT_FROM) {
        await fillDate(page, 'from_date', env.PAYOUT_FROM);
    }
    if (env.PAYOUT_TO) {
        await fillDate(page, 'to_date', env.PAYOUT_TO);
    }
    await page.waitForTimeout(500);
    await shot(page, 'bill-vendor-sales');
    // Preview: one line per vendor with what Bill will do, then Bill
    await dialog.locator('.modal-footer button')
        .filter({hasText: /Preview|Aperçu/i}).first().click();
    const bill = page.locator('.modal:visible .modal-footer button')
        .filter({hasText: /\bBill\b|Facturer/i}).first();
    await bill.waitFor({timeout: 2 * TIMEOUT});
    await page.waitForLoadState('networkidle', {timeout: TIMEOUT})
        .catch(() => {});
    await page.waitForTimeout(500);
    result.payout_preview = (await page.locator('.modal:visible').last()
        .innerText()).replace(/\s+/g, ' ').trim();
    await shot(page, 'payout-preview');
    await bill.click();
    // The wizard opens the invoices, or first shows a summary of the vendors
    // skipped or not e-mailed, or the server says no.
    const error = page.locator('.error-dialog:visible, .warning-dialog:visible')
        .first();
    const open = page.locator('.modal:visible .modal-footer button')
        .filter({hasText: /Open Invoices|Ouvrir les factures/i}).first();
    await Promise.race([
        dialog.waitFor({state: 'hidden', timeout: 2 * TIMEOUT}),
        error.waitFor({timeout: 2 * TIMEOUT}),
        open.waitFor({timeout: 2 * TIMEOUT}),
    ]);
    if (await error.count()) {
        throw new Error('Bill vendor sales failed: '
            + (await error.innerText()).replace(/\s+/g, ' ').trim());
    }
    if (await open.count()) {
        await page.waitForTimeout(500);
        result.payout_summary = (await page.locator('.modal:visible').last()
            .innerText()).replace(/\s+/g, ' ').trim();
        await shot(page, 'payout-summary');
        await open.click();
        await dialog.waitFor({state: 'hidden', timeout: 2 * TIMEOUT});
    }
    await page.waitForTimeout(2000);
    result.payout_text = (await page.locator(OPEN_TAB).first()
        .innerText()).replace(/\s+/g, ' ').trim();
    await shot(page, 'vendor-invoices');
    await vendorInvoiceForm(page);
}

async function vendorInvoiceForm(page) {
    // A vendor invoice shows one marketplace tab: the sales it bills
    step('open a vendor invoice on its billed sales');
    await page.locator(`${OPEN_TAB} .treeview tbody tr`).first()
        .dblclick();
    const form = page.locator(`${OPEN_TAB} .form`).first();
    await form.waitFor({timeout: TIMEOUT});
    const tabs = form.locator('.nav-tabs a[role=tab]');
    await tabs.first().waitFor({timeout: TIMEOUT});
    await tabs.filter({hasText: BILLED_TAB}).first().click();
    await page.waitForTimeout(1500);
    // the tabs shown once the record is loaded (the states of the record
    // hide the others, which stay in the page)
    result.vendor_invoice_tabs = (await form.locator(
        '.nav-tabs a[role=tab]:visible').allInnerTexts())
        .map(t => t.trim()).filter(t => t);
    result.vendor_invoice_form = (await form.innerText())
        .replace(/\s+/g, ' ').trim();
    await shot(page, 'vendor-invoice-form');
    // Close the invoices' tab: its form keeps an active notebook page
    const tabs_open = await page.locator('#tablist > li').count();
    await page.locator('#tablist > li.active button.close').first().click();
    await page.waitForFunction(n => document.querySelectorAll(
        '#tablist > li').length < n, tabs_open, {timeout: TIMEOUT});
}

async function salesDashboard(page) {
    step('open the sales dashboard');
    const search = page.locator('#global-search-entry');
    await search.click();
    await search.fill(env.MENU_SALES_DASHBOARD || 'Sales Dashboard');
    const item = page.locator('.global-search-text')
        .filter({hasText: /dashboard|tableau de bord/i}).first();
    await item.waitFor({timeout: TIMEOUT});
    await item.click();
    await page.locator(`${OPEN_TAB} .board, ${OPEN_TAB} .form`)
        .first().waitFor({timeout: TIMEOUT});
    await showMenu(page, false);
    await page.waitForTimeout(3000);
    // The focused search entry scrolled the board: back to its top.
    await page.evaluate(tab => {
        document.activeElement && document.activeElement.blur
            && document.activeElement.blur();
        for (const el of document.querySelectorAll(`${tab}, ${tab} *`)) {
            el.scrollTop = 0;
        }
    }, OPEN_TAB);
    result.dashboard_text = (await page.locator(OPEN_TAB).first()
        .innerText()).replace(/\s+/g, ' ').trim();
    await shot(page, 'sales-dashboard');
}

// The sales desk at 1366 px (setup/e2e/run sets DESK=1 when the demo has
// sales_management): the sales dashboard opened at its top with one filter
// bar, a new deposit slip with the defaults of the configuration and the
// Record Payment dialog of an invoice without horizontal scrollbar.
const DESK_MENU = {
    sales: env.MENU_SALE || 'Sales',
    dashboard: env.MENU_SALES_DASHBOARD || 'Sales Dashboard',
    deposits: env.MENU_DEPOSITS || 'Bank Deposits',
};

async function deskDashboard(page) {
    step('desk: open Sales > Sales Dashboard at 1366 px');
    await showMenu(page, true);
    await expandMenu(page, DESK_MENU.sales, null);
    await openMenu(page, DESK_MENU.dashboard, DESK_MENU.sales);
    const board = page.locator(`${OPEN_TAB} .board`).first();
    await board.waitFor({timeout: TIMEOUT});
    // the three cells are loaded when the latest sales list has rows
    await page.waitForFunction(tab => {
        const cells = document.querySelectorAll(
            `${tab} .board .board-action`);
        return cells.length >= 3 && cells[1].querySelectorAll(
            'tbody tr td').length > 0;
    }, OPEN_TAB, {timeout: TIMEOUT});
    await showMenu(page, false);
    await page.waitForTimeout(3000);
    const desk = result.desk || (result.desk = {});
    desk.dashboard = await page.evaluate(open_tab => {
        const tab = document.querySelector(open_tab);
        const cells = Array.from(tab.querySelectorAll('.board .board-action'));
        const scrolled = [document.scrollingElement].concat(
            Array.from(tab.querySelectorAll('*')).concat([tab]))
            .filter(el => el && el.scrollTop > 0).length;
        // A cell with a context model shows its form in its filter box.
        const filters = cells.filter(cell => Array.from(
            cell.querySelectorAll('.filter-box .form')).some(
            el => el.offsetParent !== null)).length;
        const latest = cells[1];
        const rows = Array.from(latest.querySelectorAll('tbody tr'))
            .filter(tr => tr.offsetParent !== null
                && tr.querySelector('td') && tr.innerText.trim()).length;
        // The status column ends inside the visible part of its cell.
        const status = Array.from(latest.querySelectorAll('th')).find(
            th => /^(Status|Statut)$/.test(th.innerText.trim()));
        const body = latest.querySelector('.panel-body');
        const status_visible = Boolean(status) && (
            status.getBoundingClientRect().right
            <= body.getBoundingClientRect().right);
        return {
            status_visible: status_visible,
            cells: cells.map(c => c.querySelector('.panel-heading')
                .innerText.trim()),
            scrolled: scrolled,
            filters: filters,
            latest_rows: rows,
            text: tab.innerText.replace(/\s+/g, ' ').trim(),
            height: document.scrollingElement.scrollHeight,
        };
    }, OPEN_TAB);
    await shot(page, 'sales-dashboard-1366');
}

async function deskDepositSlip(page) {
    step('desk: new deposit slip at 1366 px');
    await showMenu(page, true);
    await openMenu(page, DESK_MENU.deposits, DESK_MENU.sales);
    await page.locator(`${OPEN_TAB} .treeview`).first()
        .waitFor({timeout: TIMEOUT});
    await page.locator(`${OPEN_TAB} :is(${NEW})`).first().click();
    const form = page.locator(`${OPEN_TAB} .form`).first();
    await form.waitFor({timeout: TIMEOUT});
    // the defaults are loaded when the bank account shows its IBAN
    await page.waitForFunction(tab => Array.from(document.querySelectorAll(
        `${tab} .form input`)).some(
        i => /FR76/.test(i.value)), OPEN_TAB, {timeout: TIMEOUT});
    await showMenu(page, false);
    await page.waitForTimeout(500);
    result.desk.deposit_form = await form.evaluate(el => Array.from(
        el.querySelectorAll('input:not([type=hidden]), select'))
        .filter(i => i.offsetParent !== null)
        .map(i => i.tagName === 'SELECT'
            ? (i.selectedIndex >= 0 ? i.options[i.selectedIndex].text : '')
            : i.value)
        .filter(v => v).join(' | '));
    await shot(page, 'cheque-deposit-form');
}

async function deskReceivePayment(page) {
    step('desk: Record Payment dialog of an invoice at 1366 px');
    await page.goto(BASE_URL + '#' + DATABASE + '/model/account.invoice/'
        + env.DESK_INVOICE, {timeout: TIMEOUT});
    const button = page.locator(`${OPEN_TAB} .form button`)
        .filter({hasText: /Record Payment|Encaisser/}).first();
    await button.waitFor({timeout: TIMEOUT});
    await page.waitForTimeout(1000);
    await button.click();
    const dialog = page.locator('.modal:visible').last();
    await dialog.waitFor({timeout: TIMEOUT});
    const amount = dialog.locator('input[name="amount"]').first();
    await amount.waitFor({timeout: TIMEOUT});
    await page.waitForFunction(() => {
        const input = Array.from(document.querySelectorAll(
            '.modal input[name="amount"]')).pop();
        return input && input.value;
    }, null, {timeout: TIMEOUT});
    await page.waitForTimeout(1000);
    result.desk.receive_payment = await dialog.evaluate(el => {
        const body = el.querySelector('.modal-body');
        // the widest horizontal overflow inside the dialog
        let overflow = body.scrollWidth - body.clientWidth;
        for (const child of body.querySelectorAll('*')) {
            const style = getComputedStyle(child);
            if (['auto', 'scroll'].includes(style.overflowX)) {
                overflow = Math.max(
                    overflow, child.scrollWidth - child.clientWidth);
            }
        }
        return {
            amount: el.querySelector('input[name="amount"]').value,
            width: el.querySelector('.modal-dialog').offsetWidth,
            overflow: overflow,
        };
    });
    await shot(page, 'receive-payment-dialog');
    await dialog.locator('.modal-footer button')
        .filter({hasText: /Cancel|Annuler/}).first().click();
    await dialog.waitFor({state: 'hidden', timeout: TIMEOUT});
}

// The marketplace sales list at 1366 px: its default columns fit without a
// horizontal scrollbar.
async function salesListAt1366(page) {
    step('desk: Financial > Marketplace > Sales at 1366 px');
    await showMenu(page, true);
    await expandMenu(page, MENU.financial, null);
    await expandMenu(page, MENU.marketplace, MENU.financial);
    await openMenu(page, MENU.sales, MENU.marketplace);
    const tab = OPEN_TAB;
    await page.locator(`${tab} .treeview table thead th`)
        .first().waitFor({timeout: TIMEOUT});
    // The default filter may list nothing once the walk billed, and hides
    // the state it filters on: show all
    const all = page.locator(`${tab} .nav-tabs a[role=tab]`)
        .filter({hasText: ALL_TAB}).first();
    await all.waitFor({timeout: TIMEOUT});
    await all.click();
    await page.locator(`${tab} .treeview tbody tr`)
        .filter({hasText: 'Atelier Lumière'}).first()
        .waitFor({timeout: TIMEOUT});
    await showMenu(page, false);
    await page.waitForTimeout(1000);
    const desk = result.desk || (result.desk = {});
    desk.sales_list = await page.evaluate(selector => {
        const tab = document.querySelector(selector);
        // the widest horizontal overflow of the list or of what holds it
        let overflow = document.scrollingElement.scrollWidth
            - document.scrollingElement.clientWidth;
        for (const el of tab.querySelectorAll('.treeview, .treeview *')) {
            const style = getComputedStyle(el);
            if (['auto', 'scroll'].includes(style.overflowX)) {
                overflow = Math.max(overflow, el.scrollWidth - el.clientWidth);
            }
        }
        const headers = Array.from(tab.querySelectorAll(
            '.treeview thead tr:first-child th'))
            .filter(th => th.offsetParent !== null)
            .map(th => th.innerText.trim()).filter(t => t);
        return {overflow: overflow, headers: headers};
    }, tab);
    await shot(page, 'marketplace-sales-1366');
}

async function deskAt1366(browser, errors) {
    const page = await browser.newPage({viewport: {width: 1366, height: 768}});
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', e => errors.push(String(e)));
    try {
        await login(page);
        await deskDashboard(page);
        await deskDepositSlip(page);
        await deskReceivePayment(page);
        // last: it leaves the Financial menu unfolded, where a second
        // "Sales" entry would hide the Sales menu of the steps above
        await salesListAt1366(page);
    } catch (e) {
        await page.screenshot({path: path.join(SHOTS, 'failure.png')})
            .catch(() => {});
        throw e;
    } finally {
        await page.close();
    }
}

(async () => {
    fs.mkdirSync(SHOTS, {recursive: true});
    const browser = await chromium.launch({
        executablePath: env.CHROMIUM || '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu',
            '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update',
            '--disable-sync'],
        timeout: 60000,
    });
    const page = await browser.newPage({viewport: {width: 1920, height: 1000}});
    page.setDefaultTimeout(TIMEOUT);
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    let failed = null;
    try {
        await login(page);
        await marketplaceSales(page);
        if (env.PAYOUT === '1') {
            await billVendorSales(page);
        }
        if (env.DASHBOARD === '1') {
            await salesDashboard(page);
        }
        if (env.DESK === '1') {
            await deskAt1366(browser, errors);
        }
    } catch (e) {
        failed = e;
        await page.screenshot({path: path.join(SHOTS, 'failure.png')})
            .catch(() => {});
    }
    result.page_errors = errors;
    await browser.close();
    if (failed) {
        result.error = String(failed.stack || failed);
    }
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(failed ? 1 : 0);
})();
