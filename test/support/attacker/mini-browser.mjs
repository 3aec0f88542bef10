// A tiny user agent for the attacker programs: follows redirects by hand with one cookie jar per
// origin (as a browser keeps them) and fills oidc-provider's devInteractions login and consent
// forms with the attacker's own credentials. Plain JavaScript: it runs as another uid with the
// system's node, outside the test process.

/** origin → (cookie name → value) */
const jars = new Map();

function storeCookies(url, response) {
  const jar = jars.get(url.origin) ?? new Map();
  jars.set(url.origin, jar);
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

function cookieHeader(url) {
  const jar = jars.get(url.origin);
  if (jar === undefined || jar.size === 0) return undefined;
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

function decode(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, entity) => {
    if (/^#x/i.test(entity)) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity.toLowerCase()] ?? whole;
  });
}

function forms(html) {
  const found = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const action = /action="([^"]*)"/.exec(match[1])?.[1] ?? '';
    const fields = {};
    for (const input of match[2].matchAll(/<input\b([^>]*)>/gi)) {
      const name = /name="([^"]*)"/.exec(input[1])?.[1];
      if (name) fields[name] = decode(/value="([^"]*)"/.exec(input[1])?.[1] ?? '');
    }
    found.push({ action: decode(action), fields });
  }
  return found;
}

/**
 * Browses from `start` like a person signing in as `credentials`: every hop is recorded as
 * `{ url, status }`; returns when a page is neither a redirect nor a login/consent form.
 */
export async function browse(start, credentials, maxHops = 25) {
  const hops = [];
  let url = new URL(start);
  let method = 'GET';
  let body;
  for (let hop = 0; hop < maxHops; hop += 1) {
    const headers = { accept: 'text/html' };
    const cookie = cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    let response;
    try {
      response = await fetch(url, { method, headers, redirect: 'manual', ...(body ? { body } : {}) });
    } catch (error) {
      hops.push({ url: url.href, error: String(error?.cause?.code ?? error?.message ?? error) });
      return { hops, final: url.href };
    }
    storeCookies(url, response);
    const text = await response.text();
    hops.push({ url: url.href, status: response.status });
    method = 'GET';
    body = undefined;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      continue;
    }
    const form = response.status === 200 ? forms(text).find((candidate) => candidate.fields.prompt !== undefined) : undefined;
    if (form === undefined) return { hops, final: url.href, status: response.status, text: text.slice(0, 2000) };
    method = 'POST';
    body = new URLSearchParams(
      form.fields.prompt === 'login' ? { ...form.fields, login: credentials.username, password: credentials.password } : form.fields,
    ).toString();
    url = new URL(form.action, url);
  }
  return { hops, final: url.href };
}
