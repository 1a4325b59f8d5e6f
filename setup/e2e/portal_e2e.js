// Browser walk through the vendor portal of the demo, as a vendor.
//
// Run by setup/e2e/portal (which starts the server on a copy of the demo).
// Environment: BASE_URL, DATABASE, EMAIL, PASSWORD (the vendor's web user),
// SHOTS (folder of the screenshots), CHROMIUM (/usr/bin/chromium).
// Logs in, filters the sales, downloads the CSV and an Autofacturation PDF,
// switches to French, looks at the pages on a phone-sized screen and logs
// out.  Prints one JSON line with what it saw; exits non-zero on any failure
// (after saving a screenshot of the failing page as portal-failure.png).
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const env = process.env;
const BASE = `${env.BASE_URL || 'http://127.0.0.1:8000/'}`
    + `${env.DATABASE || 'demo'}/marketplace/vendor/`;
const SHOTS = env.SHOTS || path.join(__dirname, '..', '..', 'doc',
    'screenshots');
const TIMEOUT = 30000;
const result = {steps: [], screenshots: []};

function step(name) {
    result.steps.push(name);
    process.stderr.write(`portal e2e: ${name}\n`);
}

async function shot(page, name) {
    const file = path.join(SHOTS, name + '.png');
    await page.screenshot({path: file, fullPage: true});
    result.screenshots.push(file);
}

async function text(page, selector) {
    return (await page.locator(selector).first().innerText()).trim();
}

async function download(page, selector) {
    const [file] = await Promise.all([
        page.waitForEvent('download', {timeout: TIMEOUT}),
        page.locator(selector).first().click(),
    ]);
    return fs.readFileSync(await file.path());
}

async function walk(page) {
    step('log in');
    await page.goto(BASE + 'login');
    await shot(page, 'portal-login');
    await page.fill('input[name=email]', env.EMAIL);
    await page.fill('input[name=password]', env.PASSWORD);
    await Promise.all([
        page.waitForURL(/\/vendor\/sales$/),
        page.click('#login'),
    ]);
    result.title = await page.title();
    result.total_count = await text(page, '#total-count');
    result.total_payout = await text(page, '#total-payout');
    result.rows = await page.locator('tbody tr').count();
    await shot(page, 'portal-sales');

    step('filter the sales to invoice');
    await page.selectOption('select[name=state]', 'to_invoice');
    await Promise.all([
        page.waitForURL(/state=to_invoice/),
        page.click('#filter'),
    ]);
    result.filtered_count = await text(page, '#total-count');
    result.filtered_rows = await page.locator('tbody tr').count();
    result.filtered_states = await page.locator('tbody tr td:nth-child(8)')
        .allInnerTexts();

    step('download the CSV');
    const csv = (await download(page, '#csv')).toString('utf-8');
    const lines = csv.trim().split(/\r?\n/);
    result.csv_header = lines[0];
    result.csv_rows = lines.length - 1;

    step('open the self-billed invoices, download a PDF');
    await Promise.all([
        page.waitForURL(/\/vendor\/invoices$/),
        page.click('header a[href$="/invoices"]'),
    ]);
    result.invoices = await page.locator('tbody tr').count();
    await shot(page, 'portal-invoices');
    if (result.invoices) {
        const pdf = await download(page, 'a.pdf');
        result.pdf_magic = pdf.subarray(0, 5).toString('latin1');
        result.pdf_bytes = pdf.length;
    }

    step('switch to French');
    await Promise.all([
        page.waitForURL(/lang=fr/),
        page.click('#lang-fr'),
    ]);
    result.french_title = await text(page, 'h1');
    await page.click('header a[href$="/sales"]');
    await page.waitForURL(/\/vendor\/sales$/);
    result.french_sales_title = await text(page, 'h1');
    await shot(page, 'portal-sales-fr');

    step('on a phone');
    await page.setViewportSize({width: 390, height: 844});
    await page.reload();
    result.phone_scroll_width = await page.evaluate(
        () => document.documentElement.scrollWidth);
    await page.screenshot({path: path.join(SHOTS, 'portal-phone.png')});
    result.screenshots.push(path.join(SHOTS, 'portal-phone.png'));
    await page.setViewportSize({width: 1280, height: 800});

    step('log out');
    await Promise.all([
        page.waitForURL(/\/vendor\/login$/),
        page.click('#logout'),
    ]);
    await page.goto(BASE + 'sales');
    result.after_logout_url = page.url();
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
    const context = await browser.newContext({
        viewport: {width: 1280, height: 800}, acceptDownloads: true,
        locale: 'en-GB'});
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    // Every answer of the portal must succeed (the browser's own
    // favicon.ico request is not the portal's)
    page.on('response', r => {
        if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) {
            errors.push(`${r.status()} ${r.url()}`);
        }
    });
    let failed = null;
    try {
        await walk(page);
    } catch (e) {
        failed = e;
        await page.screenshot({path: path.join(SHOTS, 'portal-failure.png')})
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
