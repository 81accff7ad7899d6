'use strict';

// Drives headless Chromium (Debian's /usr/bin/chromium) through
// playwright-core against the nginx that t/e2e/enrol.t started, with the
// keyboard alone, through the TOTP enrolment page (secauth_totp) and then
// the login's code page in a new session, and prints what it saw as one
// JSON object on stdout; enrol.t judges it.
//
//   node enrol.js BASE ARTIFACTS_DIR
//
// The user and password come from E2E_USER and E2E_PASSWORD; the codes
// from oathtool(1), as an authenticator app would make them.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const [base, artifacts] = process.argv.slice(2);
const user = process.env.E2E_USER;
const password = process.env.E2E_PASSWORD;

const ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
];

const STEP_MS = 10000;

async function activeId(page) {
    return page.evaluate(() => {
        const e = document.activeElement;
        return e ? (e.id || e.tagName) : null;
    });
}

// what a screen reader is told about a field: its label, its
// description, and the attributes that pick the keyboard and autofill
async function field(page, id) {
    return page.evaluate((fid) => {
        const e = document.getElementById(fid);
        if (!e) {
            return null;
        }
        const desc = (e.getAttribute('aria-describedby') || '')
            .split(/\s+/).filter(Boolean)
            .map((d) => (document.getElementById(d) || {}).textContent || '')
            .join(' ').trim();
        return {
            label: e.labels && e.labels.length
                ? e.labels[0].textContent.trim() : null,
            description: desc,
            autocomplete: e.getAttribute('autocomplete'),
            inputmode: e.getAttribute('inputmode'),
            type: e.type,
            required: e.required,
        };
    }, id);
}

async function submit(page, action) {
    const [resp] = await Promise.all([
        page.waitForNavigation({ timeout: STEP_MS }),
        action(),
    ]);
    return resp ? resp.status() : null;
}

function totp(secret) {
    return execFileSync('oathtool', ['--totp', '-b', secret])
        .toString().trim();
}

async function flow(context) {
    const r = { consoleErrors: [] };
    const page = await context.newPage();
    page.on('console', (m) => {
        if (m.type() === 'error') {
            r.consoleErrors.push(m.text());
        }
    });

    // a page that needs the second factor: log in, then sent to enrol
    await page.goto(`${base}/strong`, { timeout: STEP_MS });
    r.loginUrl = page.url();
    await page.keyboard.type(user);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    r.setupStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.setupUrl = page.url();
    r.setupTitle = await page.title();
    r.setupFocus = await activeId(page);
    r.password = await field(page, 'password');
    await page.screenshot({ path: path.join(artifacts, 'enrol-setup.png'),
                            fullPage: true });

    // a wrong password: the alert, the page again
    await page.keyboard.type(`not ${password}`);
    r.badStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.badAlert = (await page.textContent('[role=alert]') || '').trim();
    r.badFocus = await activeId(page);

    await page.keyboard.type(password);
    r.scanStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.qr = await page.evaluate(() => {
        const s = document.querySelector('svg');
        return s ? { role: s.getAttribute('role'),
                     label: s.getAttribute('aria-label') } : null;
    });
    r.secret = (await page.textContent('#secret') || '').trim();
    r.scanFocus = await activeId(page);
    r.otp = await field(page, 'otp');
    await page.screenshot({ path: path.join(artifacts, 'enrol-scan.png'),
                            fullPage: true });

    // a wrong code, then the right one, by keyboard
    await page.keyboard.type('12345');
    r.wrongStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.wrongAlert = (await page.textContent('[role=alert]') || '').trim();
    r.wrongFocus = await activeId(page);

    await page.keyboard.type(totp(r.secret));
    r.codesStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.codes = await page.$$eval('#codes li code',
                                (l) => l.map((e) => e.textContent));
    r.codesNote = (await page.textContent('[role=status]') || '').trim();
    await page.screenshot({ path: path.join(artifacts, 'enrol-codes.png'),
                            fullPage: true });

    // the "Done" link, by keyboard: Tab to it, Enter
    let tabs = 0;
    while (await activeId(page) !== 'A' && tabs < 8) {
        await page.keyboard.press('Tab');
        tabs++;
    }
    r.doneReached = (await activeId(page)) === 'A';
    r.doneStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.manageHasDisable = await page.isVisible('#otp-off');
    r.manageField = await field(page, 'otp-codes');

    const resp = await page.goto(`${base}/strong`, { timeout: STEP_MS });
    r.strongStatus = resp.status();
    r.strongText = (await page.textContent('body')).trim();
    r.strongAmr = resp.headers()['x-amr'];

    // a new browser session: the login's second step, the code page,
    // with a backup code (the current TOTP step was spent by the
    // confirmation: a code of the next step would mean waiting for it)
    // (another URL: the browser may serve /strong from its cache)
    await context.clearCookies();
    await page.goto(`${base}/strong?again`, { timeout: STEP_MS });
    r.reloginUrl = page.url();
    await page.keyboard.type(user);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    r.codePageStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.codePageTitle = await page.title();
    r.codePageFocus = await activeId(page);
    r.codeField = await field(page, 'otp');
    await page.screenshot({ path: path.join(artifacts, 'login-code.png'),
                            fullPage: true });

    await page.keyboard.type('000000');
    r.codeWrongStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.codeWrongAlert = (await page.textContent('[role=alert]') || '').trim();
    r.codeWrongFocus = await activeId(page);

    await page.keyboard.type((r.codes || [''])[0]);
    const [done] = await Promise.all([
        page.waitForNavigation({ timeout: STEP_MS }),
        page.keyboard.press('Enter'),
    ]);
    r.codeOkStatus = done ? done.status() : null;
    r.codeOkUrl = page.url();
    r.codeOkText = (await page.textContent('body')).trim();
    r.codeOkAmr = done ? done.headers()['x-amr'] : null;

    await page.close();
    return r;
}

async function main() {
    const started = Date.now();
    const out = {};

    fs.mkdirSync(artifacts, { recursive: true });
    const profile = fs.mkdtempSync(path.join(os.tmpdir(),
                                             'secauth-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ARGS,
        timeout: 20000,
        viewport: { width: 800, height: 900 },
    });

    try {
        out.launchMs = Date.now() - started;
        out.flow = await flow(context);
    } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }

    out.totalMs = Date.now() - started;
    process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
    const error = String(e.stack || e);
    process.stdout.write(`${JSON.stringify({ error })}\n`);
    process.exitCode = 1;
});
