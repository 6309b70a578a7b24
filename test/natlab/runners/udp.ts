// NAT lab runner (runs inside a lab namespace): raw UDP probes that print one JSON line.
//   mapping <localPort> <ip:port>...   public endpoint the reflector saw per destination
//   filtering <localPort> <ip:port>    which reflector answers (same / other ip / other port) pass
//   send <localPort> <ip:port> <text> [count] [on-go]   send datagrams (localPort 0 = any); with
//                                               on-go: bind, print "ready", send once stdin has a line
//   recv <localPort> <waitMs> [maxCount] [openTo]  (first send "open" to openTo from the socket,)
//                                               print "ready", then the datagrams received
//   rtt <count> <ip:port> <spacingMs>           request/answer pairs: loss, duplicates, reordering, RTT
//   exchange <localPort> <ip:port> <waitMs> [on-go]  send a probe every 50 ms, answer each probe;
//                                               ends when both ways worked or waitMs passed; with
//                                               on-go: bind, print "ready", start once stdin has a line
// Every loop is bounded by a count and by time (docs/design.md, "Network rule").
import { createSocket, type Socket } from 'node:dgram';

type Json = Record<string, unknown>;

function parseEndpoint(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port)) throw new Error(`bad endpoint ${s}`);
  return [s.slice(0, i), port];
}

function bindSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, () => resolve(s));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Sends `req` to `to` up to `tries` times, waiting `waitMs` each, until a reply with the same id. */
async function ask(s: Socket, to: string, req: Json, tries: number, waitMs: number): Promise<Json | undefined> {
  const [ip, port] = parseEndpoint(to);
  for (let t = 0; t < tries; t++) {
    const answer = new Promise<Json | undefined>((resolve) => {
      const timer = setTimeout(() => {
        s.off('message', on);
        resolve(undefined);
      }, waitMs);
      const on = (msg: Buffer): void => {
        try {
          const j = JSON.parse(msg.toString('utf8')) as Json;
          if (j.id === req.id) {
            clearTimeout(timer);
            s.off('message', on);
            resolve(j);
          }
        } catch {
          // not ours
        }
      };
      s.on('message', on);
    });
    s.send(JSON.stringify(req), port, ip);
    const a = await answer;
    if (a) return a;
  }
  return undefined;
}

async function mapping(localPort: number, targets: string[]): Promise<Json> {
  const s = await bindSocket(localPort);
  const results: Json[] = [];
  for (const [i, t] of targets.entries()) {
    // 1 s a try: the reflector is a Node process too, late by seconds at times on a loaded machine.
    const a = await ask(s, t, { id: `m${i}` }, 5, 1000);
    results.push({ target: t, seen: a?.seen ?? null });
  }
  const local = s.address().port;
  s.close();
  return { local, results };
}

async function filtering(localPort: number, target: string): Promise<Json> {
  const s = await bindSocket(localPort);
  const got = new Set<string>();
  s.on('message', (msg) => {
    try {
      const j = JSON.parse(msg.toString('utf8')) as Json;
      if (typeof j.id === 'string') got.add(j.id);
    } catch {
      // ignore
    }
  });
  const [ip, port] = parseEndpoint(target);
  // Opens the mapping towards the target first, then asks for the three kinds of answer,
  // each twice (the lab has no loss unless impaired, the second send covers a race with NAT setup).
  const first = await ask(s, target, { id: 'open' }, 5, 1000);
  for (let round = 0; round < 2; round++) {
    for (const reply of ['same', 'other-ip', 'other-port']) s.send(JSON.stringify({ id: reply, reply }), port, ip);
    await sleep(250);
  }
  // The reflector sends the three kinds in one turn, and 'same' always passes the mapping: once it
  // is here, so is any other that passes. Waited for (bounded), not assumed after 0.5 s: a loaded
  // machine may run the reflector late.
  for (let i = 0; i < 200 && !got.has('same'); i++) await sleep(50);
  await sleep(250);
  s.close();
  return { opened: first !== undefined, same: got.has('same'), otherIp: got.has('other-ip'), otherPort: got.has('other-port') };
}

/** Resolves at the first line (or end) of stdin. */
function stdinLine(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('data', () => resolve());
    process.stdin.once('end', () => resolve());
  });
}

async function send(localPort: number, to: string, text: string, count: number, onGo: boolean): Promise<Json> {
  const s = await bindSocket(localPort);
  const [ip, port] = parseEndpoint(to);
  if (onGo) {
    // Started ahead and told when to send: a test timing a NAT binding keeps this process's
    // start-up (seconds on a loaded machine) out of the window it measures.
    console.log('ready');
    await stdinLine();
    process.stdin.pause();
  }
  for (let i = 0; i < count; i++) {
    await new Promise<void>((r) => s.send(text, port, ip, () => r()));
    if (i + 1 < count) await sleep(20);
  }
  const local = s.address().port;
  s.close();
  return { sent: count, local };
}

async function recv(localPort: number, waitMs: number, maxCount: number, openTo?: string): Promise<Json> {
  const s = await bindSocket(localPort);
  const received: Json[] = [];
  if (openTo !== undefined) {
    // Open the NAT binding from this very socket, so no process start-up lies between the binding's
    // birth and the inbound probe (a test timing a 2 s binding lifetime must not lose it to a slow spawn).
    const [ip, port] = parseEndpoint(openTo);
    await new Promise<void>((r) => s.send('open', port, ip, () => r()));
  }
  console.log(`ready ${s.address().port}`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    s.on('message', (msg, rinfo) => {
      if (received.length < maxCount) received.push({ from: `${rinfo.address}:${rinfo.port}`, text: msg.toString('utf8').slice(0, 200) });
      if (received.length >= maxCount) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  s.close();
  return { received };
}

/** Both sides run this at once towards each other's public endpoint: a raw hole punch. */
async function exchange(localPort: number, to: string, waitMs: number, onGo: boolean): Promise<Json> {
  const s = await bindSocket(localPort);
  if (onGo) {
    // Started ahead and told when to begin, so two sides' windows overlap however long each
    // process took to start (seconds apart on a loaded machine).
    console.log('ready');
    await stdinLine();
    process.stdin.pause();
  }
  let [ip, port] = parseEndpoint(to);
  let gotProbe = false;
  let gotAck = false;
  let firstFrom = '';
  const t0 = Date.now();
  let tFirst = -1;
  s.on('message', (msg, rinfo) => {
    const text = msg.toString('utf8');
    if (text === 'probe') {
      if (!gotProbe) {
        firstFrom = `${rinfo.address}:${rinfo.port}`;
        tFirst = Date.now() - t0;
        // Peer-reflexive: answer and keep sending to where the peer's packets come from.
        ip = rinfo.address;
        port = rinfo.port;
      }
      gotProbe = true;
      s.send('ack', rinfo.port, rinfo.address);
    } else if (text === 'ack') {
      gotAck = true;
    }
  });
  if (!onGo) console.log('ready');
  const rounds = Math.ceil(waitMs / 50);
  for (let i = 0; i < rounds && !(gotProbe && gotAck); i++) {
    s.send('probe', port, ip);
    await sleep(50);
  }
  // A few more rounds so the peer also gets its ack.
  for (let i = 0; i < 4; i++) {
    s.send('probe', port, ip);
    await sleep(50);
  }
  s.close();
  return { ok: gotProbe && gotAck, gotProbe, gotAck, firstFrom, firstMs: tFirst };
}

/** Request/answer pairs against the reflector: unique answers, duplicates, reordering, RTTs in ms. */
async function rtt(count: number, to: string, spacingMs: number): Promise<Json> {
  const s = await bindSocket(0);
  const [ip, port] = parseEndpoint(to);
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  const seen = new Set<number>();
  let dups = 0;
  let reordered = 0;
  let highest = -1;
  s.on('message', (msg) => {
    let id: number;
    try {
      id = Number((JSON.parse(msg.toString('utf8')) as Json).id);
    } catch {
      return;
    }
    const at = sentAt.get(id);
    if (at === undefined) return;
    if (seen.has(id)) {
      dups++;
      return;
    }
    seen.add(id);
    rtts.push(performance.now() - at);
    if (id < highest) reordered++;
    highest = Math.max(highest, id);
  });
  for (let i = 0; i < count; i++) {
    sentAt.set(i, performance.now());
    s.send(JSON.stringify({ id: i }), port, ip);
    await sleep(spacingMs);
  }
  // Until every request is answered (bounded: some may be lost on purpose), then a little for
  // duplicates in flight: a fixed 0.5 s missed late answers when the reflector ran late.
  for (let i = 0; i < 250 && seen.size < count; i++) await sleep(20);
  await sleep(200);
  s.close();
  rtts.sort((x, y) => x - y);
  const q = (f: number): number => (rtts.length ? Math.round(rtts[Math.min(rtts.length - 1, Math.floor(f * rtts.length))]! * 10) / 10 : -1);
  return { sent: count, answers: seen.size, dups, reordered, rttMin: q(0), rttP50: q(0.5), rttMax: q(1) };
}

async function main(): Promise<Json> {
  const [cmd, a, b, c, d] = process.argv.slice(2);
  switch (cmd) {
    case 'mapping':
      return mapping(Number(a), process.argv.slice(4));
    case 'filtering':
      return filtering(Number(a), b!);
    case 'send':
      return send(Number(a), b!, c ?? 'hello', Math.min(1000, Number(d ?? 1)), process.argv[7] === 'on-go');
    case 'recv':
      return recv(Number(a), Math.min(60_000, Number(b)), Math.min(10_000, Number(c ?? 1)), d);
    case 'exchange':
      return exchange(Number(a), b!, Math.min(30_000, Number(c)), d === 'on-go');
    case 'rtt':
      return rtt(Math.min(5000, Number(a)), b!, Math.min(1000, Number(c ?? 5)));
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

main().then(
  (out) => {
    console.log(JSON.stringify(out));
    process.exit(0);
  },
  (err: Error) => {
    console.log(JSON.stringify({ error: err.message }));
    process.exit(1);
  },
);
