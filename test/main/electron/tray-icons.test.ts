import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../../support/electron-fake.js'));

import { TRAY_STATES } from '../../../main/electron/tray-model.js';
import { trayIconPath } from '../../../main/electron/tray.js';

async function readPng(path: string): Promise<{ width: number; height: number; rgba: Buffer }> {
  const bytes = await readFile(path);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 6]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1) raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, rgba };
}

const REPO_ROOT = join(import.meta.dirname, '../../..');
const TRAY_DIR = join(REPO_ROOT, 'build/tray');

describe('generated icons (scripts/make-icons.mjs)', () => {
  it('has every tray state for light and dark panels and macOS templates, at 1x and 2x', async () => {
    for (const state of TRAY_STATES) {
      for (const [platform, dark] of [
        ['linux', false],
        ['linux', true],
        ['darwin', false],
      ] as const) {
        const path = trayIconPath(TRAY_DIR, state, platform, dark);
        const one = await readPng(path);
        const two = await readPng(path.replace(/\.png$/, '@2x.png'));
        expect([one.width, one.height]).toEqual([16, 16]);
        expect([two.width, two.height]).toEqual([32, 32]);
        const opaque = [...one.rgba].filter((_, i) => i % 4 === 3 && one.rgba[i]! > 0).length;
        expect(opaque).toBeGreaterThan(20);
      }
    }
  });

  it('macOS template images are black with alpha only', async () => {
    for (const state of TRAY_STATES) {
      const { rgba } = await readPng(join(TRAY_DIR, `${state}Template@2x.png`));
      for (let i = 0; i < rgba.length; i += 4) {
        if (rgba[i + 3] === 0) continue;
        expect([rgba[i], rgba[i + 1], rgba[i + 2]]).toEqual([0, 0, 0]);
      }
    }
  });

  it('the states look different from each other', async () => {
    const images = await Promise.all(TRAY_STATES.map((state) => readFile(join(TRAY_DIR, `${state}@2x.png`))));
    expect(new Set(images.map((image) => image.toString('base64'))).size).toBe(TRAY_STATES.length);
  });

  it('has a 512x512 app icon for electron-builder', async () => {
    const icon = await readPng(join(REPO_ROOT, 'build/icon.png'));
    expect([icon.width, icon.height]).toEqual([512, 512]);
  });

  it('the committed PNGs are exactly what scripts/make-icons.mjs draws', async () => {
    const out = await mkdtemp(join(tmpdir(), 'tb-icons-'));
    try {
      const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/make-icons.mjs'), out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const files = await readdir(join(out, 'tray'));
      expect(files.sort()).toEqual((await readdir(TRAY_DIR)).filter((f) => f.endsWith('.png')).sort());
      for (const file of files) {
        expect((await readFile(join(out, 'tray', file))).equals(await readFile(join(TRAY_DIR, file))), file).toBe(true);
      }
      expect((await readFile(join(out, 'icon.png'))).equals(await readFile(join(REPO_ROOT, 'build/icon.png')))).toBe(true);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
