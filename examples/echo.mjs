// Two synack stacks joined by an in-memory link with 1% loss; an echo server on one, a Node-style
// client on the other. Run after `npm install`: node examples/echo.mjs
import { once } from 'node:events';
import { RealtimePair } from 'synack/node';

const net = new RealtimePair({ link: { delay: 1, loss: 0.01, seed: 7 } }); // hosts 10.0.0.1 and 10.0.0.2

net.netB.createServer((socket) => socket.pipe(socket)).listen(7);
const client = net.netA.connect({ host: '10.0.0.2', port: 7 });
await once(client, 'connect');
let echoed = '';
client.setEncoding('utf8').on('data', (text) => (echoed += text));
client.end('hello over a userspace TCP\n'); // end() is a half-close: we still read the echo
await once(client, 'close');
console.log(echoed.trim(), `(${client.bytesRead} bytes back from ${client.remoteAddress}:${client.remotePort})`);
net.close();
