'use strict';

// Drives headless Chromium (Debian's /usr/bin/chromium) through
// playwright-core against the nginx that t/e2e/browser.t started, and
// prints what it saw as one JSON object on stdout; browser.t judges it.
//
//   node browser.js BASE CROSS_BASE ARTIFACTS_DIR
//
// BASE is the site (http://127.0.0.1:PORT), CROSS_BASE the same server
// under another site (http://localhost:PORT) for the login CSRF case.
// The user and password come from E2E_USER and E2E_PASSWORD.
//
// Flows: with the mouse (a wrong password, then the right one), with the
// keyboard alone (Tab, typing, Enter), and a cross-site form post.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [base, crossBase, artifacts] = process.argv.slice(2);
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

function sessionCookie(cookies) {
    const c = cookies.find((x) => x.name === 'sid');
    if (!c) {
        return null;
    }
    return {
        valueLength: c.value.length,
        valueShape: /^[A-Za-z0-9_-]+$/.test(c.value),
        path: c.path,
        httpOnly: c.httpOnly,
        secure: c.secure,
        sameSite: c.sameSite,
        expires: c.expires,
    };
}

// submit(page, action): runs action, waits for the navigation it starts,
// returns the status of the page it ends on
async function submit(page, action) {
    const [resp] = await Promise.all([
        page.waitForNavigation({ timeout: STEP_MS }),
        action(),
    ]);
    return resp ? resp.status() : null;
}

async function protectedPage(page) {
    const resp = await page.goto(`${base}/app/page?a=1`,
                                 { timeout: STEP_MS });
    return {
        status: resp.status(),
        url: page.url(),
        text: (await page.textContent('body')).trim(),
        documentCookie: await page.evaluate(() => document.cookie),
    };
}

async function mouseFlow(context) {
    const r = { consoleErrors: [] };
    const page = await context.newPage();
    page.on('console', (m) => {
        if (m.type() === 'error') {
            r.consoleErrors.push(m.text());
        }
    });

    const resp = await page.goto(`${base}/app/page?a=1`,
                                 { timeout: STEP_MS });
    r.formStatus = resp.status();
    r.formUrl = page.url();
    r.title = await page.title();
    r.next = await page.inputValue('input[name=next]');
    r.formVisible = await page.isVisible('form')
                    && await page.isVisible('#username')
                    && await page.isVisible('#password')
                    && await page.isVisible('button[type=submit]');

    r.screenshot = path.join(artifacts, 'login-form.png');
    await page.screenshot({ path: r.screenshot, fullPage: true });

    await page.click('#username');
    await page.fill('#username', user);
    await page.click('#password');
    await page.fill('#password', `not ${password}`);
    r.badStatus = await submit(page,
                               () => page.click('button[type=submit]'));
    r.badAlert = (await page.textContent('[role=alert]') || '').trim();
    r.badNext = await page.inputValue('input[name=next]');
    r.badCookie = sessionCookie(await context.cookies(base));
    await page.screenshot({ path: path.join(artifacts, 'login-error.png'),
                            fullPage: true });

    await page.click('#username');
    await page.fill('#username', user);
    await page.click('#password');
    await page.fill('#password', password);
    r.loginStatus = await submit(page,
                                 () => page.click('button[type=submit]'));
    r.afterLoginUrl = page.url();
    r.cookie = sessionCookie(await context.cookies(base));

    r.page = await protectedPage(page);
    await page.close();
    return r;
}

async function keyboardFlow(context) {
    const r = {};
    const page = await context.newPage();

    await page.goto(`${base}/app/page?a=1`, { timeout: STEP_MS });
    r.formUrl = page.url();
    r.autofocus = await activeId(page);

    // the field has autofocus; without it, Tab would have to reach it
    r.tabsToUsername = 0;
    while (await activeId(page) !== 'username' && r.tabsToUsername < 6) {
        await page.keyboard.press('Tab');
        r.tabsToUsername++;
    }

    await page.keyboard.type(user);
    await page.keyboard.press('Tab');
    r.focusAfterTab = await activeId(page);
    await page.keyboard.type(password);
    await page.keyboard.press('Tab');
    r.focusAfterSecondTab = await activeId(page);
    r.loginStatus = await submit(page, () => page.keyboard.press('Enter'));
    r.afterLoginUrl = page.url();
    r.cookie = sessionCookie(await context.cookies(base));

    r.page = await protectedPage(page);
    await page.close();
    return r;
}

async function crossSite(context) {
    const r = {};
    const page = await context.newPage();

    await page.goto(`${crossBase}/evil.html`, { timeout: STEP_MS });
    r.evilUrl = page.url();
    r.status = await submit(page, () => page.click('#go'));
    r.url = page.url();
    r.cookie = sessionCookie(await context.cookies(base));
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
        viewport: { width: 800, height: 600 },
    });

    try {
        out.launchMs = Date.now() - started;
        out.mouse = await mouseFlow(context);
        await context.clearCookies();
        out.keyboard = await keyboardFlow(context);
        await context.clearCookies();
        out.crossSite = await crossSite(context);
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
