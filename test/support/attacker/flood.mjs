// Opens many idle TCP connections to one port and holds them (issue 10 items 3 and 6).
// usage: node flood.mjs PORT COUNT
// Prints {"opened":N,"refused":M,"closedByServer":K} once every attempt settled, then holds the
// connections until stdin closes or SIGTERM.
import { connect } from 'node:net';

const [port, count] = process.argv.slice(2).map(Number);
const sockets = [];
let opened = 0;
let refused = 0;
let closedByServer = 0;
let settled = 0;
let reported = false;
const report = () => {
  if (reported || settled < count) return;
  reported = true;
  console.log(JSON.stringify({ opened, refused, closedByServer }));
};
for (let i = 0; i < count; i += 1) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let connected = false;
  socket.once('connect', () => {
    connected = true;
    opened += 1;
    settled += 1;
    report();
  });
  socket.on('error', () => {});
  socket.once('close', () => {
    if (!connected) {
      refused += 1;
      settled += 1;
      report();
    } else closedByServer += 1;
  });
  // Pace the attempts a little so the listen backlog is not what refuses them.
  if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 5));
}
const stop = () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
setInterval(() => console.log(JSON.stringify({ stillOpen: sockets.filter((s) => !s.destroyed).length, closedByServer })), 1000).unref();
