#!/usr/bin/env node
// Draws the extension icon (128x128 PNG): three tier bars of falling length on a rounded tile.
// The same picture is in images/icon.svg; this script exists so the PNG can be rebuilt without
// an SVG renderer. Usage: node scripts/make-icon.js images/icon.png
'use strict';
const fs = require('fs');
const zlib = require('zlib');

const SIZE = 128;
const SS = 4; // supersampling per axis

// Shapes in the 128x128 coordinate space, painted in order; colours are [r, g, b].
const shapes = [
  { x: 4, y: 4, w: 120, h: 120, r: 24, color: [0x1f, 0x3a, 0x5f] },
  { x: 22, y: 28, w: 84, h: 18, r: 9, color: [0xf2, 0xc1, 0x4e] },
  { x: 22, y: 55, w: 62, h: 18, r: 9, color: [0xd9, 0xdf, 0xe6] },
  { x: 22, y: 82, w: 40, h: 18, r: 9, color: [0xcd, 0x8a, 0x55] },
];

function inside(s, px, py) {
  if (px < s.x || px > s.x + s.w || py < s.y || py > s.y + s.h) return false;
  const cx = Math.min(Math.max(px, s.x + s.r), s.x + s.w - s.r);
  const cy = Math.min(Math.max(py, s.y + s.r), s.y + s.h - s.r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= s.r * s.r;
}

const rgba = Buffer.alloc(SIZE * SIZE * 4);
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const px = x + (sx + 0.5) / SS;
        const py = y + (sy + 0.5) / SS;
        let hit = null;
        for (const s of shapes) if (inside(s, px, py)) hit = s.color;
        if (hit) { r += hit[0]; g += hit[1]; b += hit[2]; a += 1; }
      }
    }
    const o = (y * SIZE + x) * 4;
    const n = SS * SS;
    // colours are averaged over covered samples (straight alpha), alpha is the coverage
    rgba[o] = a ? Math.round(r / a) : 0;
    rgba[o + 1] = a ? Math.round(g / a) : 0;
    rgba[o + 2] = a ? Math.round(b / a) : 0;
    rgba[o + 3] = Math.round((255 * a) / n);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  rgba.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
}
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = process.argv[2] || 'images/icon.png';
fs.writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
