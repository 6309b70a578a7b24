// NAT lab runner (runs inside the server namespace): a UDP reflector that answers each request
// with the source address it saw, from the same socket, another address or another port, so a
// probe behind a lab NAT can measure mapping and filtering (docs/specs/natlab.md §3).
// usage: node reflector.js <ip1> <ip2> <ip3> <port>   — binds ip1:port, ip1:port+1, ip2:port, ip3:port
import { createSocket, type Socket } from 'node:dgram';

const [ip1, ip2, ip3, portText] = process.argv.slice(2);
const port = Number(portText);
if (!ip1 || !ip2 || !ip3 || !Number.isInteger(port)) {
  console.error('usage: reflector.js <ip1> <ip2> <ip3> <port>');
  process.exit(2);
}

const sockets = new Map<string, Socket>();
const addrs: Array<[string, number]> = [[ip1, port], [ip1, port + 1], [ip2, port], [ip3, port]];
let bound = 0;

for (const [ip, p] of addrs) {
  const s = createSocket('udp4');
  const key = `${ip}:${p}`;
  sockets.set(key, s);
  s.on('message', (msg, rinfo) => {
    // Requests are small JSON objects; anything else is ignored.
    if (msg.length > 1024) return;
    let req: { id?: unknown; reply?: unknown };
    try {
      req = JSON.parse(msg.toString('utf8')) as typeof req;
    } catch {
      return;
    }
    let from = key;
    if (req.reply === 'other-ip') from = ip === ip2 ? `${ip1}:${port}` : `${ip2}:${port}`;
    if (req.reply === 'other-port') from = `${ip1}:${p === port + 1 ? port : port + 1}`;
    const out = sockets.get(from)!;
    out.send(JSON.stringify({ id: req.id, seen: `${rinfo.address}:${rinfo.port}`, from }), rinfo.port, rinfo.address);
  });
  s.bind(p, ip, () => {
    bound++;
    if (bound === addrs.length) console.log(`ready ${[...sockets.keys()].join(' ')}`);
  });
}

process.on('SIGTERM', () => {
  for (const s of sockets.values()) s.close();
  process.exit(0);
});
