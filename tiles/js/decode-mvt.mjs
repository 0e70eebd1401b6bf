#!/usr/bin/env node
// Decode vector tiles with @mapbox/vector-tile (the decoder of MapLibre's lineage) and
// print what it sees as JSON, so that wangge's tests compare their own decoder and
// encoder against an implementation no one here wrote.
//
// Usage: node decode-mvt.mjs FILE...   (a file may be gzip-compressed)
// Output: [{file, layers: [{name, version, extent, length, features: [{id, type,
//          properties, geometry}]}]} | {file, error}], geometry as loadGeometry()
//          gives it: a list of rings/lines/points, each a list of [x, y].
import fs from 'node:fs';
import zlib from 'node:zlib';
import {PbfReader} from 'pbf';
import {VectorTile} from '@mapbox/vector-tile';

const TYPES = ['Unknown', 'Point', 'LineString', 'Polygon'];

function decode(file) {
    let buf = fs.readFileSync(file);
    if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
    const tile = new VectorTile(new PbfReader(buf));
    const layers = [];
    for (const name of Object.keys(tile.layers)) {
        const layer = tile.layers[name];
        const features = [];
        for (let i = 0; i < layer.length; i++) {
            const f = layer.feature(i);
            features.push({
                id: f.id === undefined ? null : f.id,
                type: TYPES[f.type] ?? String(f.type),
                properties: f.properties,
                geometry: f.type === 0 ? [] : f.loadGeometry().map((ring) => ring.map((p) => [p.x, p.y])),
            });
        }
        layers.push({name, version: layer.version, extent: layer.extent, length: layer.length, features});
    }
    return {file, layers};
}

const files = process.argv.slice(2);
if (files.length === 0) {
    console.error('usage: node decode-mvt.mjs FILE...');
    process.exit(2);
}
const out = files.map((file) => {
    try {
        return decode(file);
    } catch (e) {
        return {file, error: String(e && e.message ? e.message : e)};
    }
});
process.stdout.write(JSON.stringify(out) + '\n');
