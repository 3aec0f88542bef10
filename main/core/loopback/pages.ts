/**
 * The small self-contained pages the browser sees at the loopback redirect: no external
 * resources, inline CSS (and, for the fragment relay, inline script) allowed only by a
 * per-response CSP nonce. Every dynamic text is HTML-escaped.
 */
import { randomBytes } from 'node:crypto';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Response headers for every page: CSP with the nonce, no caching, no referrer (the URL holds a code). */
export function pageHeaders(nonce: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    ...extra,
  };
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f7f9;color:#1d2330;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:32px 40px;max-width:520px}
h1{font-size:20px;margin:0 0 12px}
p{margin:0;line-height:1.5;overflow-wrap:anywhere}
.ok h1{color:#17803d}.fail h1{color:#b42318}`;

/** The success or failure page after the callback. */
export function resultPage(nonce: string, result: { ok: boolean; message: string }): string {
  const title = result.ok ? 'Signed in' : 'Sign-in failed';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Token Broker - ${title}</title><style nonce="${nonce}">${STYLE}</style></head>
<body><main class="${result.ok ? 'ok' : 'fail'}"><h1 id="title">${title}</h1><p id="message">${escapeHtml(result.message)}</p></main></body></html>`;
}

/** A plain page for requests that are not the callback (404 etc.). */
export function plainPage(nonce: string, title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Token Broker - ${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}</style></head>
<body><main class="fail"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}

/**
 * The implicit grant relay: the token arrives in the URL fragment, which browsers never send
 * to a server. This page's script (allowed by the nonce) removes the fragment from the address
 * bar and POSTs it to the same path with a per-listener relay key in a header; a custom header
 * makes any cross-origin imitation need a CORS preflight, which this listener never grants.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.2.2 RFC 6749 §4.2.2}, {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3}
 */
export function fragmentRelayPage(nonce: string, relayKey: string, path: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Token Broker - Finishing sign-in</title><style nonce="${nonce}">${STYLE}</style></head>
<body><main id="box"><h1 id="title">Finishing sign-in...</h1><p id="message">One moment.</p></main>
<script nonce="${nonce}">
(function () {
  var fragment = location.hash.length > 1 ? location.hash.slice(1) : '';
  history.replaceState(null, '', location.pathname);
  function show(ok, message) {
    document.getElementById('box').className = ok ? 'ok' : 'fail';
    document.getElementById('title').textContent = ok ? 'Signed in' : 'Sign-in failed';
    document.getElementById('message').textContent = message;
  }
  fetch(${JSON.stringify(path)}, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-token-broker-relay': ${JSON.stringify(relayKey)} },
    body: fragment,
    // The sign-in's cookie goes along: the relay is accepted only from the browser that started it.
    credentials: 'same-origin',
    cache: 'no-store',
    referrerPolicy: 'no-referrer'
  }).then(function (r) { return r.json(); })
    .then(function (r) { show(r.ok === true, String(r.message)); })
    .catch(function () { show(false, 'Could not reach Token Broker.'); });
})();
</script></body></html>`;
}
