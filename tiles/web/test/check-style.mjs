// Checks a MapLibre style with @maplibre/maplibre-gl-style-spec (not ours): validates
// it, and evaluates paint properties on given feature properties.
// Usage: node check-style.mjs STYLE.json [CASES.json]
//   CASES: [{"layer": ID, "property": "fill-color", "properties": {...}, "zoom": 12}]
// Prints {"errors": ["..."], "values": [VALUE per case]}, colours as "#rrggbb".
import {readFileSync} from 'node:fs';
import {validateStyleMin, expression, latest} from '@maplibre/maplibre-gl-style-spec';

const style = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const cases = process.argv[3] ? JSON.parse(readFileSync(process.argv[3], 'utf8')) : [];
const errors = validateStyleMin(style).map((e) => e.message);

const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('');
const values = cases.map((c) => {
    const layer = style.layers.find((l) => l.id === c.layer);
    if (!layer) return {error: `no layer ${c.layer}`};
    const spec = latest[`paint_${layer.type}`][c.property];
    const parsed = expression.createPropertyExpression(layer.paint[c.property], `${c.layer}.${c.property}`, spec);
    if (parsed.result !== 'success') return {error: parsed.value.map((e) => e.message).join('; ')};
    const v = parsed.value.evaluate({zoom: c.zoom ?? 12}, {type: 'Polygon', properties: c.properties});
    return v && typeof v === 'object' && 'r' in v ? hex(v) : v;
});
console.log(JSON.stringify({errors, values}));
