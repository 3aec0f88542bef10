#!/usr/bin/env node
// Draws the app and tray icons with nothing but node:zlib and writes them as PNG files:
//   build/icon.png                          512x512 app icon (electron-builder derives .icns/.ico)
//   build/tray/<state>.png, @2x             coloured, for light panels (Windows, Linux)
//   build/tray/<state>-dark.png, @2x        coloured, light glyph for dark panels
//   build/tray/<state>Template.png, @2x     black + alpha for the macOS menu bar (Electron treats
//                                           names ending in "Template" as template images)
// States: all-good, expiring, attention, error. Deterministic: same script, same bytes.
// Usage: node scripts/make-icons.mjs [outDir]   (default: build/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2] ?? join(root, 'build');

// ---- a tiny PNG encoder (RGBA, 8 bit, no interlace) -------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
export function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- a tiny rasteriser: shapes are inside(x, y) tests in unit coordinates, 4x4 supersampled ---
function canvas(size) {
  const pixels = Buffer.alloc(size * size * 4);
  return {
    size,
    pixels,
    fill(inside, [r, g, b, a = 255]) {
      const samples = 4;
      for (let py = 0; py < size; py += 1) {
        for (let px = 0; px < size; px += 1) {
          let hits = 0;
          for (let sy = 0; sy < samples; sy += 1) {
            for (let sx = 0; sx < samples; sx += 1) {
              if (inside((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)) hits += 1;
            }
          }
          if (hits === 0) continue;
          const alpha = (hits / (samples * samples)) * (a / 255);
          const i = (py * size + px) * 4;
          const under = pixels[i + 3] / 255;
          const out = alpha + under * (1 - alpha);
          const mix = (src, dst) => Math.round((src * alpha + dst * under * (1 - alpha)) / (out || 1));
          pixels[i] = mix(r, pixels[i]);
          pixels[i + 1] = mix(g, pixels[i + 1]);
          pixels[i + 2] = mix(b, pixels[i + 2]);
          pixels[i + 3] = Math.round(out * 255);
        }
      }
    },
    /** Punches a transparent hole (for template images, where colour cannot carry meaning). */
    erase(inside) {
      const samples = 4;
      for (let py = 0; py < size; py += 1) {
        for (let px = 0; px < size; px += 1) {
          let hits = 0;
          for (let sy = 0; sy < samples; sy += 1) {
            for (let sx = 0; sx < samples; sx += 1) {
              if (inside((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)) hits += 1;
            }
          }
          const i = (py * size + px) * 4 + 3;
          pixels[i] = Math.round(pixels[i] * (1 - hits / (samples * samples)));
        }
      }
    },
  };
}

const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r, w) => (x, y) => {
  const d = Math.hypot(x - cx, y - cy);
  return d <= r && d >= r - w;
};
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const roundedRect = (x0, y0, x1, y1, radius) => (x, y) => {
  if (!rect(x0, y0, x1, y1)(x, y)) return false;
  const cx = Math.min(Math.max(x, x0 + radius), x1 - radius);
  const cy = Math.min(Math.max(y, y0 + radius), y1 - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius;
};
const segment = (x0, y0, x1, y1, w) => (x, y) => {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy)) <= w / 2;
};
const union =
  (...shapes) =>
  (x, y) =>
    shapes.some((shape) => shape(x, y));

// The glyph: a key (ring bow + shaft + two teeth), the broker's token.
const keyGlyph = union(
  ring(0.33, 0.36, 0.22, 0.09),
  segment(0.49, 0.52, 0.84, 0.87, 0.1),
  segment(0.66, 0.69, 0.56, 0.79, 0.09),
  segment(0.76, 0.79, 0.66, 0.89, 0.09),
);

const BADGE = { cx: 0.76, cy: 0.28, r: 0.22 };
const badgeMarks = {
  'all-good': segment(0.66, 0.29, 0.73, 0.36, 0.07), // first stroke of a tick; completed below
  expiring: union(segment(0.76, 0.28, 0.76, 0.16, 0.06), segment(0.76, 0.28, 0.85, 0.28, 0.06)), // clock hands
  attention: union(rect(0.735, 0.13, 0.785, 0.31), circle(0.76, 0.38, 0.032)), // "!"
  error: union(segment(0.69, 0.21, 0.83, 0.35, 0.06), segment(0.83, 0.21, 0.69, 0.35, 0.06)), // "x"
};
const tick = union(badgeMarks['all-good'], segment(0.73, 0.36, 0.86, 0.2, 0.07));
const marks = { ...badgeMarks, 'all-good': tick };
const COLORS = {
  'all-good': [46, 160, 67],
  expiring: [219, 154, 4],
  attention: [230, 110, 20],
  error: [207, 34, 46],
};
const STATES = ['all-good', 'expiring', 'attention', 'error'];

function trayIcon(state, size, variant) {
  const c = canvas(size);
  if (variant === 'template') {
    c.fill(keyGlyph, [0, 0, 0]);
    // Clear a gap around the badge so it reads on its own, then draw it as a hole in a disc.
    c.erase(circle(BADGE.cx, BADGE.cy, BADGE.r + 0.04));
    if (state !== 'all-good') {
      c.fill(circle(BADGE.cx, BADGE.cy, BADGE.r), [0, 0, 0]);
      c.erase(marks[state]);
    }
    return c;
  }
  c.fill(keyGlyph, variant === 'dark' ? [240, 240, 240] : [36, 41, 47]);
  c.erase(circle(BADGE.cx, BADGE.cy, BADGE.r + 0.04));
  c.fill(circle(BADGE.cx, BADGE.cy, BADGE.r), COLORS[state]);
  c.fill(marks[state], [255, 255, 255]);
  return c;
}

function appIcon(size) {
  const c = canvas(size);
  c.fill(roundedRect(0.06, 0.06, 0.94, 0.94, 0.2), [31, 79, 160]);
  c.fill(roundedRect(0.06, 0.06, 0.94, 0.5, 0.2), [52, 110, 200, 90]);
  const inset = (shape) => (x, y) => shape((x - 0.18) / 0.64, (y - 0.18) / 0.64);
  c.fill(inset(keyGlyph), [255, 255, 255]);
  return c;
}

function write(path, c) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodePng(c.size, c.size, c.pixels));
}

const written = [];
for (const state of STATES) {
  for (const [suffix, variant] of [
    ['', 'light'],
    ['-dark', 'dark'],
    ['Template', 'template'],
  ]) {
    for (const [scale, size] of [
      ['', 16],
      ['@2x', 32],
    ]) {
      const path = join(outDir, 'tray', `${state}${suffix}${scale}.png`);
      write(path, trayIcon(state, size, variant));
      written.push(path);
    }
  }
}
write(join(outDir, 'icon.png'), appIcon(512));
written.push(join(outDir, 'icon.png'));
console.log(`[make-icons] wrote ${written.length} PNG files under ${outDir}`);
