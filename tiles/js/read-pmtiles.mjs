#!/usr/bin/env node
// Read a PMTiles archive with the `pmtiles` package (Protomaps' reference reader, the
// one MapLibre uses in browsers) and print what it sees as JSON, so that wangge's
// tests check their archives against an implementation no one here wrote.
//
// Usage: node read-pmtiles.mjs ARCHIVE [z/x/y ...] [--tiles LISTFILE]
//   LISTFILE holds one z/x/y per line.
// Output: {header, metadata, tiles: [{z, x, y, size, fnv1a, head} | {z, x, y, missing}]}
//   size and fnv1a (32-bit FNV-1a, hex) are of the tile as the reader hands it out,
//   i.e. decompressed; head is its first 8 bytes in hex.
import fs from 'node:fs';
import {PMTiles} from 'pmtiles';

// The pmtiles package ships sources for browsers (File, fetch); in Node a Source is
// any object with getKey() and getBytes(offset, length).
class NodeFileSource {
    constructor(path) {
        this.path = path;
        this.fd = fs.openSync(path, 'r');
    }
    getKey() {
        return this.path;
    }
    async getBytes(offset, length) {
        const buf = Buffer.alloc(length);
        const n = fs.readSync(this.fd, buf, 0, length, offset);
        return {data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n)};
    }
    close() {
        fs.closeSync(this.fd);
    }
}

function fnv1a(bytes) {
    let h = 0x811c9dc5;
    for (const b of bytes) {
        h ^= b;
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, '0');
}

function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const args = process.argv.slice(2);
if (args.length === 0) {
    console.error('usage: node read-pmtiles.mjs ARCHIVE [z/x/y ...] [--tiles LISTFILE]');
    process.exit(2);
}
const archive = args.shift();
const coords = [];
while (args.length > 0) {
    const a = args.shift();
    if (a === '--tiles') {
        const list = fs.readFileSync(args.shift(), 'utf8');
        for (const line of list.split('\n')) if (line.trim()) coords.push(line.trim());
    } else {
        coords.push(a);
    }
}

const source = new NodeFileSource(archive);
try {
    const p = new PMTiles(source);
    const header = await p.getHeader();
    const metadata = await p.getMetadata();
    const tiles = [];
    for (const c of coords) {
        const [z, x, y] = c.split('/').map(Number);
        const r = await p.getZxy(z, x, y);
        if (!r) {
            tiles.push({z, x, y, missing: true});
            continue;
        }
        const bytes = new Uint8Array(r.data);
        tiles.push({z, x, y, size: bytes.length, fnv1a: fnv1a(bytes), head: hex(bytes.subarray(0, 8))});
    }
    process.stdout.write(JSON.stringify({header, metadata, tiles}) + '\n');
} catch (e) {
    process.stdout.write(JSON.stringify({error: String(e && e.message ? e.message : e)}) + '\n');
    process.exitCode = 1;
} finally {
    source.close();
}
