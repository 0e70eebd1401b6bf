// Drives the viewer in a real browser (Debian's chromium, through playwright-core)
// against a running `wangge serve`, and prints what it saw as one JSON object; the C++
// test (tests/e2e/test_viewer_browser.cpp) judges it.
// Usage: node browser.mjs --url http://127.0.0.1:PORT/ --at ZOOM/LAT/LON --search TEXT
//                         --screenshot FILE [--timeout-ms 60000]
// Env: WANGGE_CHROMIUM (default /usr/bin/chromium).
import {chromium} from 'playwright-core';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const timeoutMs = Number(args['timeout-ms'] || 60000);
const out = {requests: [], external: [], failed: [], console_errors: [], page_errors: [], steps: []};
const step = (s) => out.steps.push(s);
const finish = (code) => {
    console.log(JSON.stringify(out));
    process.exit(code);
};
setTimeout(() => {
    out.error = `timed out after ${timeoutMs} ms (last step: ${out.steps.at(-1)})`;
    finish(2);
}, timeoutMs).unref();

const base = new URL(args.url);
const browser = await chromium.launch({
    executablePath: process.env.WANGGE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // WebGL on the CPU (no GPU on CI); no sandbox as root
    args: ['--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--ignore-gpu-blocklist',
        ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [])],
});
try {
    const context = await browser.newContext({viewport: {width: 1200, height: 800}, locale: 'zh-CN'});
    const page = await context.newPage();
    page.on('request', (r) => {
        out.requests.push(r.url());
        const u = new URL(r.url());
        // data: and blob: URLs are the page's own (the worker, inline images)
        if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.hostname !== '127.0.0.1') out.external.push(r.url());
    });
    page.on('requestfailed', (r) => {
        // a tile request the map cancelled itself (it moved on) is not a failure
        const why = r.failure() ? r.failure().errorText : '';
        if (why !== 'net::ERR_ABORTED') out.failed.push(`${r.url()}: ${why}`);
    });
    page.on('console', (m) => {
        if (m.type() === 'error') out.console_errors.push(m.text());
    });
    page.on('pageerror', (e) => out.page_errors.push(String(e)));

    step('open');
    await page.goto(new URL(`/#${args.at}`, base).href);
    await page.waitForFunction(() => globalThis.wangge && globalThis.wangge.state.map);
    await page.evaluate(() => globalThis.wangge.ready);
    out.title = await page.title();

    const idle = () => page.evaluate(() => new Promise((resolve) => {
        const map = globalThis.wangge.state.map;
        if (map.loaded() && !map.isMoving()) resolve();
        else map.once('idle', () => resolve());
    }));
    step('idle');
    await idle();
    // what was drawn, per style layer
    const rendered = () => page.evaluate(() => {
        const map = globalThis.wangge.state.map;
        const counts = {};
        for (const l of map.getStyle().layers) {
            if (l.type === 'background') continue;
            counts[l.id] = map.queryRenderedFeatures({layers: [l.id]}).length;
        }
        return counts;
    });
    out.rendered = await rendered();
    out.style_layers = await page.evaluate(() => globalThis.wangge.state.map.getStyle().layers.map((l) => l.id));
    out.legend = await page.$$eval('#legend > li > label', (ls) => ls.map((l) => l.textContent.trim()));
    out.village_label_sample = await page.evaluate(() => globalThis.wangge.state.map
        .queryRenderedFeatures({layers: ['village-labels']}).slice(0, 3).map((f) => f.properties.name));
    await page.screenshot({path: args.screenshot});

    // click a grid: at its label point (inside it), clear of the side panel
    step('click');
    const target = await page.evaluate(() => {
        const map = globalThis.wangge.state.map;
        const panel = document.getElementById('panel').getBoundingClientRect();
        const canvas = map.getCanvas().getBoundingClientRect();
        for (const f of map.querySourceFeatures('wangge', {sourceLayer: 'grid_labels'})) {
            const [lon, lat] = f.geometry.coordinates;
            const p = map.project([lon, lat]);
            const x = canvas.left + p.x, y = canvas.top + p.y;
            if (x < panel.right + 20 || x > canvas.right - 60 || y < canvas.top + 60 || y > canvas.bottom - 60) continue;
            const hit = map.queryRenderedFeatures([p.x, p.y], {layers: ['grids-events']});
            if (hit.length && String(hit[0].properties.code) === String(f.properties.code))
                return {x, y, lon, lat, code: String(f.properties.code)};
        }
        return null;
    });
    out.clicked = target;
    if (target) {
        await page.mouse.click(target.x, target.y);
        await page.waitForSelector('.maplibregl-popup .grid-popup[data-loaded]', {timeout: 15000});
        out.popup = await page.$eval('.maplibregl-popup .grid-popup', (p) => ({
            code: p.dataset.code,
            loaded: p.dataset.loaded,
            text: p.innerText,
        }));
        await page.click('.maplibregl-popup-close-button');
    }

    // search by name, take the first result, and see the map go there
    step('search');
    const before = await page.evaluate(() => {
        const m = globalThis.wangge.state.map;
        return {center: m.getCenter().toArray(), zoom: m.getZoom()};
    });
    await page.fill('#search-q', args.search);
    await page.click('#search button');
    await page.waitForSelector('#search-results li', {timeout: 15000});
    out.search_results = await page.$$eval('#search-results li', (ls) => ls.map((l) => l.innerText.replace(/\s+/g, ' ')));
    const moved = page.evaluate(() => new Promise((resolve) => globalThis.wangge.state.map.once('moveend', resolve)));
    const firstCode = await page.$eval('#search-results li', (l) => l.dataset.code);
    await page.click('#search-results li');
    await moved;
    await idle();
    out.search = await page.evaluate(([code, before]) => {
        const m = globalThis.wangge.state.map;
        const b = m.getBounds();
        // the place found, drawn in view (its outline; a grid: its fill)
        const layers = ['villages-fill', 'townships-fill', 'counties-fill', 'grids-events'].filter((l) => m.getLayer(l));
        const drawn = m.queryRenderedFeatures({layers}).filter((f) => String(f.properties.code) === code);
        return {
            code, before, after: {center: m.getCenter().toArray(), zoom: m.getZoom()},
            bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
            drawn: drawn.length,
        };
    }, [firstCode, before]);
    out.rendered_after_search = await rendered();
    await page.screenshot({path: args.screenshot.replace(/\.png$/, '-search.png')});

    // locate by coordinates: the clicked grid's label point, in WGS-84
    if (target) {
        step('locate');
        out.crs_options = await page.$$eval('#locate-crs option', (os) => os.map((o) => o.value));
        await page.fill('#locate-lon', String(target.lon));
        await page.fill('#locate-lat', String(target.lat));
        await page.selectOption('#locate-crs', 'wgs84');
        await page.click('#locate-form button');
        await page.waitForFunction(() => document.getElementById('locate-result').textContent !== '', null,
            {timeout: 15000});
        out.locate = await page.evaluate(() => {
            const r = document.getElementById('locate-result');
            const g = r.querySelector('.grid-popup');
            return {code: g ? g.dataset.code : null, text: r.innerText};
        });
    }
    step('done');
    await context.close();
} catch (e) {
    out.error = String(e && e.stack || e);
    await browser.close();
    finish(1);
}
await browser.close();
finish(0);
