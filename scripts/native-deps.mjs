#!/usr/bin/env node
// keytar is a native addon, compiled for one runtime's ABI at a time. `npm test` and the CLI need
// it built for Node; `npm start` needs it built for Electron. This script makes sure the build
// in node_modules matches the runtime asked for, rebuilding only when it does not.
//   node scripts/native-deps.mjs node|electron
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const target = process.argv[2];
const require = createRequire(import.meta.url);

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (target === 'node') {
  try {
    require('keytar');
  } catch (error) {
    if (!/NODE_MODULE_VERSION|was compiled against a different/.test(String(error?.message))) throw error;
    console.log('[native-deps] keytar was built for another runtime; rebuilding it for Node…');
    run('npm', ['rebuild', 'keytar']);
  }
} else if (target === 'electron') {
  console.log('[native-deps] building native modules (keytar) for Electron…');
  run('npx', ['electron-builder', 'install-app-deps']);
} else {
  console.error('usage: native-deps.mjs node|electron');
  process.exit(2);
}
