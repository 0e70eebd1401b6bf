// Opens a report page written by `write_html` (a file:// URL, no server) in a real
// browser (Debian's chromium, through playwright-core) and prints what it saw as one
// JSON object; the C++ test (tests/e2e/test_report_render_browser.cpp) judges it.
// Usage: node report.mjs --file /path/report.html --screenshot FILE [--timeout-ms 60000]
// Env: WANGGE_CHROMIUM (default /usr/bin/chromium).
import {chromium} from 'playwright-core';
import {pathToFileURL} from 'node:url';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const timeoutMs = Number(args['timeout-ms'] || 60000);
const out = {requests: [], external: [], failed: [], console_errors: [], page_errors: []};
const finish = (code) => {
    console.log(JSON.stringify(out));
    process.exit(code);
};
setTimeout(() => {
    out.error = `timed out after ${timeoutMs} ms`;
    finish(2);
}, timeoutMs).unref();

const url = pathToFileURL(args.file).href;
const browser = await chromium.launch({
    executablePath: process.env.WANGGE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
try {
    const context = await browser.newContext({viewport: {width: 1100, height: 900}, locale: 'zh-CN'});
    const page = await context.newPage();
    page.on('request', (r) => {
        out.requests.push(r.url());
        // the page itself is the only request it may make
        if (r.url() !== url && !r.url().startsWith('data:')) out.external.push(r.url());
    });
    page.on('requestfailed', (r) => out.failed.push(`${r.url()}: ${r.failure() ? r.failure().errorText : ''}`));
    page.on('console', (m) => {
        if (m.type() === 'error') out.console_errors.push(m.text());
    });
    page.on('pageerror', (e) => out.page_errors.push(String(e)));
    await page.goto(url, {waitUntil: 'load'});
    out.title = await page.title();
    out.sections = await page.$$eval('section > h2', (hs) => hs.map((h) => h.firstChild.textContent.trim()));
    out.map = await page.evaluate(() => {
        const svg = document.querySelector('figure.map svg');
        if (!svg) return null;
        const r = svg.getBoundingClientRect();
        const grids = [...svg.querySelectorAll('path.grid')];
        // each grid drawn with a real size inside the map's box
        const inside = grids.filter((g) => {
            const b = g.getBoundingClientRect();
            return b.width > 1 && b.height > 1 && b.left >= r.left - 1 && b.right <= r.right + 1 &&
                b.top >= r.top - 1 && b.bottom <= r.bottom + 1;
        }).length;
        return {width: r.width, height: r.height, grids: grids.length, grids_inside: inside,
            texts: svg.querySelectorAll('text').length};
    });
    // no table wider than the page (text would be cut when printed)
    out.overflowing_tables = await page.$$eval('table', (ts) => ts.filter((t) => t.scrollWidth > document.body.clientWidth + 2)
        .map((t) => t.id));
    out.scripts = await page.$$eval('script', (s) => s.length);
    await page.screenshot({path: args.screenshot, fullPage: args['full-page'] === 'true'});
    await context.close();
} catch (e) {
    out.error = String(e && e.stack || e);
    await browser.close();
    finish(1);
}
await browser.close();
finish(0);
