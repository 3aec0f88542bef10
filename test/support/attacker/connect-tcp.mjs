// Connects to a loopback TCP port as another user and holds the connection until stdin closes.
// usage: node connect-tcp.mjs PORT
// Prints {"connected":true,"port":LOCAL_PORT} or {"error":CODE}; {"closed":true} when the server closes it.
import { connect } from 'node:net';

const socket = connect(Number(process.argv[2]), '127.0.0.1');
socket.once('connect', () => console.log(JSON.stringify({ connected: true, port: socket.localPort })));
socket.once('error', (error) => console.log(JSON.stringify({ error: error.code ?? error.message })));
socket.once('close', () => console.log(JSON.stringify({ closed: true })));
socket.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
