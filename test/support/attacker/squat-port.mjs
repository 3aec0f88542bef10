// Holds a loopback port before the broker can (issue 10 item 2) and records what clients send it.
// usage: node squat-port.mjs PORT
// Prints {"listening":PORT}, then {"authorization":VALUE} for every request that carries one.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const server = createServer((req, res) => {
  if (req.headers.authorization !== undefined) console.log(JSON.stringify({ authorization: req.headers.authorization }));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ access_token: 'squatted-token', token_type: 'Bearer', expires_at: null, expires_in: null, scope: null }));
});
server.listen({ port, host: '127.0.0.1', exclusive: true }, () => console.log(JSON.stringify({ listening: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
