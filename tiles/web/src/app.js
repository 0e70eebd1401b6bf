// wangge's offline map viewer: the style /styles/{name}.json of the server it is
// served from, a legend with toggles built from the style's layer metadata
// ("wangge:group", "wangge:legend"), search, a grid's details on click, and locating
// by coordinates in the four datums. Everything it loads comes from that server.
//
// URL parameters: map=NAME (default: the first source of /healthz); style=URL (any
// style, e.g. one on pmtiles:// for an archive served as a static file);
// glyphs=server (Chinese from the server's glyph PBFs too, not the local font).
import * as maplibregl from './maplibre-gl.js';

maplibregl.setWorkerUrl(new URL('./maplibre-gl-worker.js', import.meta.url).href);
if (globalThis.pmtiles) {
    // archives served as plain files (/archives/{file}, nginx, a CDN): pmtiles://URL
    const protocol = new globalThis.pmtiles.Protocol();
    maplibregl.addProtocol('pmtiles', protocol.tile);
}

const params = new URLSearchParams(location.search);
// Chinese characters are drawn with a local font by default (no glyph download for
// the 20,000 ideographs); digits and Latin letters come from /fonts/.../0-255.pbf.
const LOCAL_CJK_FONTS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', " +
    "'WenQuanYi Micro Hei', 'WenQuanYi Zen Hei', sans-serif";

const GROUP_NAMES = {
    counties: '县（市、区）',
    townships: '乡镇（街道）',
    villages: '村（社区）',
    grids: '网格',
    events: '事件',
    grid_labels: '网格编码',
    village_labels: '村（社区）名称',
    township_labels: '乡镇（街道）名称',
    county_labels: '县（市、区）名称',
};
const GROUP_ORDER = Object.keys(GROUP_NAMES);
const KIND_NAMES = {grid: '网格', village: '村（社区）', township: '乡镇（街道）', county: '县（市、区）'};
const PLATFORM_NAMES = {
    governance: '综治工作', market: '市场监管', enforcement: '综合执法', service: '便民服务',
    ev_governance: '综治工作', ev_market: '市场监管', ev_enforcement: '综合执法', ev_service: '便民服务',
};
const GRID_TYPE_NAMES = {base: '全科网格', full: '全科网格', dedicated: '专属网格'};
const GRID_FILLS = ['grids-events', 'grids-platform'];

const $ = (id) => document.getElementById(id);
const status = (text, error = false) => {
    $('status').textContent = text;
    $('status').classList.toggle('error', error);
};
const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
        if (k === 'class') e.className = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
};

async function fetchJson(url) {
    const r = await fetch(url, {headers: {Accept: 'application/json'}});
    let body = null;
    try {
        body = await r.json();
    } catch {
        body = null;
    }
    return {status: r.status, ok: r.ok, body};
}

async function getJson(url) {
    const {ok, status, body} = await fetchJson(url);
    if (!ok) throw new Error((body && body.error) || `HTTP ${status}`);
    return body;
}

async function tilesetName() {
    if (params.get('map')) return params.get('map');
    const health = await getJson('/healthz');
    const sources = health.sources || [];
    const first = sources[0];
    if (!first) throw new Error('服务器没有可用的瓦片集');
    return typeof first === 'string' ? first : first.name;
}

// ---- the map ----

const state = {selectedFill: 'grids-events', visible: {}, map: null};
const ready = (async () => {
    let styleUrl = params.get('style');
    let name = '';
    if (!styleUrl) {
        name = await tilesetName();
        styleUrl = `/styles/${encodeURIComponent(name)}.json`;
    }
    const map = new maplibregl.Map({
        container: 'map',
        style: styleUrl,
        hash: true,
        localIdeographFontFamily: params.get('glyphs') === 'server' ? false : LOCAL_CJK_FONTS,
        attributionControl: {compact: true},
    });
    state.map = map;
    map.addControl(new maplibregl.NavigationControl(), 'top-right');
    map.addControl(new maplibregl.ScaleControl({unit: 'metric'}), 'bottom-right');
    map.on('error', (e) => {
        // shown, and logged as MapLibre logs errors when no one listens
        status(`地图错误：${e.error ? e.error.message : e}`, true);
        console.error(e.error || e);
    });
    await new Promise((resolve) => map.once('load', resolve));
    const styleName = name || map.getStyle().name;
    $('title').textContent = styleName ? `网格地图 · ${styleName}` : '网格地图';
    document.title = $('title').textContent;
    buildLegend();
    setupGridClicks();
    return map;
})();
ready.catch((e) => status(`无法加载地图：${e.message}`, true));
// for tests and the console
globalThis.wangge = {ready, state};

function styleLayers() {
    return state.map.getStyle().layers.filter((l) => l.metadata && l.metadata['wangge:group'] !== 'background');
}

function applyVisibility() {
    for (const l of styleLayers()) {
        const group = l.metadata['wangge:group'];
        let on = state.visible[group] !== false;
        if (GRID_FILLS.includes(l.id)) on = on && l.id === state.selectedFill;
        state.map.setLayoutProperty(l.id, 'visibility', on ? 'visible' : 'none');
    }
    buildLegendItems();
}

function buildLegend() {
    const layers = styleLayers();
    const hasPlatform = layers.some((l) => l.id === 'grids-platform');
    $('grid-colour').hidden = !hasPlatform;
    for (const radio of document.querySelectorAll('input[name="grid-colour"]'))
        radio.addEventListener('change', () => {
            state.selectedFill = radio.value;
            applyVisibility();
        });
    const initial = layers.find((l) => GRID_FILLS.includes(l.id) && (l.layout || {}).visibility !== 'none');
    if (initial) state.selectedFill = initial.id;
    buildLegendItems();
}

function buildLegendItems() {
    const groups = new Map();
    for (const l of styleLayers()) {
        const g = l.metadata['wangge:group'];
        if (!groups.has(g)) groups.set(g, []);
        groups.get(g).push(l);
    }
    const ordered = [...groups.keys()].sort((a, b) => GROUP_ORDER.indexOf(a) - GROUP_ORDER.indexOf(b));
    const list = $('legend');
    list.replaceChildren();
    for (const g of ordered) {
        const box = el('input', {type: 'checkbox', 'data-group': g});
        box.checked = state.visible[g] !== false;
        box.addEventListener('change', () => {
            state.visible[g] = box.checked;
            applyVisibility();
        });
        const items = el('ul');
        for (const l of groups.get(g)) {
            if (GRID_FILLS.includes(l.id) && l.id !== state.selectedFill) continue;
            for (const [text, colour] of l.metadata['wangge:legend'] || [])
                items.append(el('li', {}, el('span', {class: 'swatch', style: `background:${colour}`}), text));
        }
        list.append(el('li', {}, el('label', {}, box, ' ', GROUP_NAMES[g] || g), items));
    }
}

// ---- a grid's details ----

const pick = (o, ...keys) => {
    for (const k of keys) if (o && o[k] !== undefined && o[k] !== null && o[k] !== '') return o[k];
    return undefined;
};

// "name (code)" of a jurisdiction given as {code, name}, or as NAME_code / NAME_name keys
function jurisdiction(grid, level) {
    const v = grid[level];
    if (v && typeof v === 'object') return [v.name, v.code].filter(Boolean).join('　');
    const name = pick(grid, `${level}_name`);
    const code = pick(grid, `${level}_code`, typeof v === 'string' ? level : '');
    return [name, code].filter(Boolean).join('　');
}

function eventsRows(grid) {
    const ev = pick(grid, 'events_per_platform', 'events', 'platforms');
    const rows = [];
    if (Array.isArray(ev)) {
        for (const e of ev) rows.push([pick(e, 'platform', 'name'), pick(e, 'count', 'events', 'n')]);
    } else if (ev && typeof ev === 'object') {
        for (const [k, v] of Object.entries(ev)) {
            if (typeof v === 'object' && v !== null) rows.push([pick(v, 'platform', 'name') || PLATFORM_NAMES[k] || k, pick(v, 'count', 'n')]);
            else rows.push([PLATFORM_NAMES[k] || k, v]);
        }
    } else if (typeof ev === 'number') {
        rows.push(['合计', ev]);
    }
    return rows;
}

function gridTable(code, grid, fromTile) {
    const rows = [['网格编码', code]];
    const type = pick(grid, 'type') ?? pick(fromTile, 'type');
    if (type) rows.push(['网格类型', GRID_TYPE_NAMES[type] || type]);
    if (pick(grid, 'name')) rows.push(['网格名称', grid.name]);
    const hh = pick(grid, 'households') ?? pick(fromTile, 'households');
    if (hh !== undefined) rows.push(['户数', hh]);
    for (const [level, label] of [['village', '村（社区）'], ['township', '乡镇（街道）'], ['county', '县（市、区）']]) {
        const j = grid ? jurisdiction(grid, level) : '';
        if (j) rows.push([label, j]);
    }
    const beidou = pick(grid, 'beidou', 'beidou_code', 'bds_code');
    if (beidou) rows.push(['北斗网格码', beidou]);
    const events = grid ? eventsRows(grid) : [];
    for (const [platform, n] of events) rows.push([`事件·${platform}`, n ?? 0]);
    const total = pick(grid, 'events_total');
    if (total !== undefined) rows.push(['事件合计', total]);
    const table = el('table');
    for (const [k, v] of rows) table.append(el('tr', {}, el('th', {}, k), el('td', {class: k === '网格编码' ? 'code' : ''}, v)));
    return table;
}

function setupGridClicks() {
    const map = state.map;
    const fills = () => GRID_FILLS.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
    map.on('mousemove', (e) => {
        const f = fills().length ? map.queryRenderedFeatures(e.point, {layers: fills()}) : [];
        map.getCanvas().style.cursor = f.length ? 'pointer' : '';
    });
    map.on('click', async (e) => {
        const layers = fills();
        if (!layers.length) return;
        const f = map.queryRenderedFeatures(e.point, {layers})[0];
        if (!f || !f.properties.code) return;
        const code = String(f.properties.code);
        const body = el('div', {class: 'grid-popup', 'data-code': code}, el('h3', {}, '网格'), gridTable(code, null, f.properties),
            el('p', {class: 'loading'}, '正在读取详情…'));
        const popup = new maplibregl.Popup({maxWidth: '340px'}).setLngLat(e.lngLat).setDOMContent(body).addTo(map);
        try {
            const grid = await getJson(`/api/grids/${encodeURIComponent(code)}`);
            body.replaceChildren(el('h3', {}, '网格'), gridTable(code, grid, f.properties));
            body.dataset.loaded = 'true';
        } catch (err) {
            body.querySelector('.loading').textContent = `无法读取详情：${err.message}`;
            body.dataset.loaded = 'error';
        }
        popup.setDOMContent(body);
    });
}

// ---- search ----

function boundsOf(r) {
    const b = pick(r, 'bbox', 'bounds');
    if (Array.isArray(b) && b.length === 4) return [[b[0], b[1]], [b[2], b[3]]];
    if (b && typeof b === 'object' && 'min_lon' in b) return [[b.min_lon, b.min_lat], [b.max_lon, b.max_lat]];
    return null;
}

function centerOf(r) {
    const c = pick(r, 'center', 'point');
    if (Array.isArray(c) && c.length >= 2) return [c[0], c[1]];
    if (r.lon !== undefined && r.lat !== undefined) return [r.lon, r.lat];
    return null;
}

// room for the side panel, where the map is wide enough to keep some beside it
function padding() {
    const panel = $('panel').getBoundingClientRect();
    const wide = state.map.getCanvas().clientWidth > panel.right + 300;
    return {top: 40, bottom: 40, right: 40, left: wide ? panel.right + 20 : 40};
}

function goTo(r) {
    const map = state.map;
    const b = boundsOf(r);
    if (b) map.fitBounds(b, {padding: padding(), maxZoom: 16, duration: 600});
    else if (centerOf(r)) map.flyTo({center: centerOf(r), zoom: Math.max(map.getZoom(), 14), duration: 600});
}

$('search').addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = $('search-q').value.trim();
    const list = $('search-results');
    list.replaceChildren();
    list.hidden = true;
    if (!q) return;
    try {
        await ready;
        const answer = await getJson(`/api/search?q=${encodeURIComponent(q)}`);
        const results = Array.isArray(answer) ? answer : answer.results || [];
        if (!results.length) {
            status(`没有找到“${q}”`);
            return;
        }
        status(`找到 ${results.length} 个结果`);
        for (const r of results) {
            const kind = KIND_NAMES[r.kind || r.type || r.level] || r.kind || r.type || r.level || '';
            const parents = (r.parents || []).map((p) => p.name || p.code).join(' ');
            const item = el('li', {tabindex: '0', 'data-code': r.code || ''}, r.name || r.code,
                el('span', {class: 'kind'}, kind), el('span', {class: 'code'}, [r.code, parents].filter(Boolean).join('　')));
            const go = () => {
                goTo(r);
                list.hidden = true;
            };
            item.addEventListener('click', go);
            item.addEventListener('keydown', (k) => k.key === 'Enter' && go());
            list.append(item);
        }
        list.hidden = false;
    } catch (err) {
        status(`搜索失败：${err.message}`, true);
    }
});

// ---- locate by coordinates ----

let marker = null;
$('locate-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = $('locate-result');
    out.classList.remove('error');
    const lon = $('locate-lon').value.trim(), lat = $('locate-lat').value.trim(), crs = $('locate-crs').value;
    try {
        const map = await ready;
        const {ok, status, body: r} = await fetchJson(
            `/api/locate?lon=${encodeURIComponent(lon)}&lat=${encodeURIComponent(lat)}&crs=${crs}`);
        // 404: a point in no grid (the answer still says where it is and the nearest grid)
        if (!r || (!ok && status !== 404)) throw new Error((r && r.error) || `HTTP ${status}`);
        // the point in the map's datum (CGCS2000, as WGS-84 to a map) as the server converted it
        const w = pick(r, 'point', 'wgs84');
        const at = w && 'lon' in w ? [w.lon, w.lat] : [Number(lon), Number(lat)];
        if (marker) marker.remove();
        marker = new maplibregl.Marker({color: '#d7301f'}).setLngLat(at).addTo(map);
        map.flyTo({center: at, zoom: Math.max(map.getZoom(), 15), duration: 600});
        if (!r.grid) {
            const nearest = r.nearest ? `；最近的网格 ${r.nearest.code}（${r.nearest.distance_m} 米）` : '';
            out.textContent = `该点不在任何网格内${nearest}`;
            return;
        }
        // the grid with the point's village, township, county and BeiDou code
        const grid = {...r, ...r.grid};
        out.replaceChildren(el('div', {class: 'grid-popup', 'data-code': grid.code}, gridTable(String(grid.code), grid, {})));
    } catch (err) {
        out.textContent = `定位失败：${err.message}`;
        out.classList.add('error');
    }
});
