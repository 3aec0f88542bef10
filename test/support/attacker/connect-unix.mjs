// Connects to a Unix socket as another user and holds the connection until stdin closes.
// usage: node connect-unix.mjs SOCKET_PATH
// Prints {"connected":true,"pid":N} or {"error":CODE}.
import { connect } from 'node:net';

const socket = connect(process.argv[2]);
socket.once('connect', () => console.log(JSON.stringify({ connected: true, pid: process.pid })));
socket.once('error', (error) => {
  console.log(JSON.stringify({ error: error.code ?? error.message }));
  process.exit(0);
});
socket.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
