/**
 * koffi, the FFI library behind the system calls Node has no API for: the kernel's word on a
 * socket's peer (api/peer-credentials.ts, issue 10) and the CLI's blocking socket
 * (cli/blocking-exchange.ts, issue 15). It is a maintained library that ships prebuilt binaries in
 * its npm package, so there is no native addon of our own to compile.
 *
 * @see https://koffi.dev/
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A C function bound by koffi; arguments and result as koffi converts them. */
export type ForeignFunction = (...args: unknown[]) => unknown;

/** A loaded shared library. */
export interface ForeignLibrary {
  func(signature: string): ForeignFunction;
}

/** What we use of koffi. */
export interface KoffiLike {
  load(path: string): ForeignLibrary;
  /** The C `errno` of this thread, as the last foreign call left it. */
  errno(): number;
}

/** This file's path: `__filename` in the CommonJS bins and under vitest, else from the ESM bundle's URL. */
function thisFile(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/**
 * The prebuilt binaries of this platform's koffi package, found the way Node's resolver would find
 * the package (each `node_modules` from this file's directory up), but with nothing more than a
 * `stat` per directory: the resolver's first use costs ~0.9 ms of a CLI call (issue 15).
 * glibc's build first, then musl's.
 */
function prebuiltBinaries(platform: NodeJS.Platform, arch: string): string[] {
  const flavours = platform === 'linux' ? [`linux_${arch}`, `musl_${arch}`] : [`${platform}_${arch}`];
  for (let dir = dirname(thisFile()); ;) {
    const root = join(dir, 'node_modules', '@koromix', `koffi-${platform}-${arch}`);
    if (existsSync(root)) return flavours.map((flavour) => join(root, flavour, 'koffi.node'));
    const parent = dirname(dir);
    if (parent === dir) return [];
    dir = parent;
  }
}

/**
 * koffi's native module. Its JavaScript loader spends ~10 ms (most of a CLI call's own start-up)
 * probing the platform, so the prebuilt binary of this platform's package is loaded directly
 * (~2 ms; `process.dlopen`, past the module loader) — the same file koffi's loader ends up
 * loading — and the documented `koffi` entry point is the fallback wherever that layout differs
 * (another package manager's layout, an asar archive). Throws when koffi cannot be loaded at all.
 */
export function loadKoffi(platform: NodeJS.Platform = process.platform, arch: string = process.arch): KoffiLike {
  for (const file of prebuiltBinaries(platform, arch)) {
    try {
      const native = { exports: {} as Partial<KoffiLike> };
      process.dlopen(native, file);
      if (typeof native.exports.load === 'function') return native.exports as KoffiLike;
    } catch {
      // not this flavour (musl on glibc, or the other way round): the next, then koffi itself
    }
  }
  // node:module only on this path: the CLI's calls do without it.
  const koffi = process.getBuiltinModule('node:module').createRequire(thisFile())('koffi') as { default?: KoffiLike } & KoffiLike;
  return koffi.default ?? koffi;
}

let linuxC: { koffi: KoffiLike; libc: ForeignLibrary } | undefined;

/** koffi and glibc's libc, loaded once per process; throws where either cannot be loaded. */
export function linuxLibc(arch: string = process.arch): { koffi: KoffiLike; libc: ForeignLibrary } {
  if (linuxC === undefined) {
    const koffi = loadKoffi('linux', arch);
    linuxC = { koffi, libc: koffi.load('libc.so.6') };
  }
  return linuxC;
}
