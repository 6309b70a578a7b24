// A UDP forwarder with no protocol at all, run as its own process by bench:relay: the ceiling any
// relay written on node:dgram can reach (one receive and one send per datagram, as a TURN relay
// does). B talks to the front socket, A sees the back socket; the forwarder remembers B's address.
// Prints `{"front":port}` on stdout once bound; `--target <port>` is A's port on 127.0.0.1.
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { target: { type: 'string' } } });
const target = Number(values.target);
const front = createSocket('udp4');
const back = createSocket('udp4');
let client = { address: '', port: 0 };
front.on('message', (msg, r) => {
  if (r.port !== client.port || r.address !== client.address) client = { address: r.address, port: r.port };
  back.send(msg, target, '127.0.0.1');
});
back.on('message', (msg) => {
  if (client.port !== 0) front.send(msg, client.port, client.address);
});
await new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()));
await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
process.stdout.write(`${JSON.stringify({ front: front.address().port })}\n`);
process.on('SIGTERM', () => {
  front.close();
  back.close();
});
