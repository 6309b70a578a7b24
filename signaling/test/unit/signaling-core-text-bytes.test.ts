// handleTextBytes (the adapter's entry: frames as bytes, pair.candidates decoded without a
// string) against handleMessage (frames as text): the same frames give the same answers,
// relayed messages, errors, closes, counters and lobby state, byte for byte.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { CoreHarness } from '../support/core-harness.js';

const HOST = { kind: 'host', family: 4, address: '10.1.1.20', port: 40000 };
const SRFLX = { kind: 'srflx', family: 4, address: '203.0.113.20', port: 51000 };

/** Runs one script of frames on `h`; everything it sent is in h.sentTexts. */
function script(h: CoreHarness): void {
  const a = h.client('a');
  const { lobby } = h.create(a, { maxPeers: 3 });
  const b = h.client('b');
  h.join(b, lobby.code);
  const c = h.client('c');
  h.join(c, lobby.code);
  const pairs = h.takeType(a, 'pair.start').map((s) => s.pair);
  expect(pairs.length).to.equal(2);
  const [ab, ac] = pairs as [number, number];
  const frames: Array<[number, string]> = [
    // the plain form, as clients send it, and with a priority, in another key order, spaced
    [a, JSON.stringify({ type: 'pair.candidates', rid: 10, pair: ab, candidates: [HOST, SRFLX], done: false })],
    [a, `{ "candidates" : [{"port":9,"address":"2001:db8::7","family":6,"kind":"upnp","priority":7}], "pair":${ab}, "rid":11, "type":"pair.candidates" }`],
    // valid, not the plain form (decoded as text)
    [a, JSON.stringify({ type: 'pair.candidates', rid: 12, pair: ac, candidates: [HOST], nat: { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' } })],
    [a, `{"type":"pair.candidates","rid":13,"pair":${ac},"candidates":[],"done":true,"extra":1}`],
    // refused by the rules after decoding: never-a-peer address, unknown pair, the per-side cap
    [a, JSON.stringify({ type: 'pair.candidates', rid: 14, pair: ab, candidates: [{ ...HOST, address: '224.0.0.1' }] })],
    [a, JSON.stringify({ type: 'pair.candidates', rid: 15, pair: 999, candidates: [HOST] })],
    [a, JSON.stringify({ type: 'pair.candidates', rid: 16, pair: ab, candidates: Array(14).fill(HOST) })],
    [b, JSON.stringify({ type: 'pair.candidates', rid: 17, pair: ab, candidates: Array(16).fill(SRFLX), done: true })],
    // refused by the decoder
    [a, JSON.stringify({ type: 'pair.candidates', rid: 18, pair: ab, candidates: [{ ...HOST, port: 0 }] })],
    [a, JSON.stringify({ type: 'pair.candidates', rid: 19, pair: 0, candidates: [HOST] })],
    [a, `\ufeff${JSON.stringify({ type: 'pair.candidates', rid: 20, pair: ab, candidates: [] })}`],
    [a, '{"type":"pair.candidates","rid":21,'],
    [a, JSON.stringify({ type: 'lobby.get', rid: 22 })],
    [b, JSON.stringify({ type: 'pair.candidates', rid: 23, pair: ac, candidates: [HOST] })],
  ];
  for (const [conn, text] of frames) h.send(conn, text);
  // before hello, and outside any lobby
  const d = h.open();
  h.send(d, JSON.stringify({ type: 'pair.candidates', rid: 30, pair: ab, candidates: [HOST] }));
  const e = h.client('e');
  h.send(e, JSON.stringify({ type: 'pair.candidates', rid: 31, pair: ab, candidates: [HOST] }));
  // a message over maxMessageBytes closes the connection
  h.send(e, JSON.stringify({ type: 'pair.candidates', rid: 32, pair: ab, candidates: Array(60).fill(HOST) }));
  // too many malformed messages in a row close the connection
  for (let i = 0; i < 12; i++) h.send(c, JSON.stringify({ type: 'pair.candidates', rid: 40 + i, pair: ac, candidates: [{ ...HOST, family: 5 }] }));
}

describe('SignalingCore handleTextBytes', () => {
  it('answers, relays, refuses and counts exactly as handleMessage does', () => {
    const text = new CoreHarness({ maxMessageBytes: 2048, maxBadMessages: 8 });
    const bytes = new CoreHarness({ maxMessageBytes: 2048, maxBadMessages: 8 });
    bytes.viaBytes = true;
    script(text);
    script(bytes);
    expect(bytes.sentTexts).to.deep.equal(text.sentTexts);
    expect([...bytes.closed]).to.deep.equal([...text.closed]);
    expect(bytes.logs).to.deep.equal(text.logs);
    expect(JSON.parse(JSON.stringify(bytes.core.metrics))).to.deep.equal(JSON.parse(JSON.stringify(text.core.metrics)));
    expect(bytes.core.snapshot()).to.deep.equal(text.core.snapshot());
    // The script reaches every kind of outcome it is meant to compare.
    const sent = text.sentTexts.map(([, t]) => t).join('\n');
    for (const code of ['SIG_BAD_CANDIDATE', 'SIG_UNKNOWN_PAIR', 'SIG_BAD_MESSAGE', 'SIG_HELLO_REQUIRED', 'SIG_NOT_IN_LOBBY']) expect(sent).to.include(code);
    expect(text.sentTexts.filter(([, t]) => t.startsWith('{"type":"pair.candidates"')).length).to.be.greaterThan(3);
    // The plain messages' candidates went on as their own bytes (spliced), the others re-encoded.
    expect(bytes.forwarded).to.equal(2);
    expect(text.forwarded).to.equal(0);
    expect([...text.closed.values()].map((x) => x.code)).to.include.members([1009, 4000]);
  });

  it('forwards a relayed message spliced from its frame byte for byte as the JSON path writes it (seeded random lists, spacing, key orders)', () => {
    const prng = new Prng(seedFromEnv(0x5911ce));
    const pick = <T>(a: readonly T[]): T => a[prng.int(0, a.length - 1)]!;
    const addresses: Array<[4 | 6, string]> = [[4, '10.1.1.20'], [4, '203.0.113.20'], [4, '198.51.100.7'], [6, '2001:db8::20'], [6, 'fd00::1'], [4, '10.0.0.255']];
    /** One candidate: canonical key order unless `shuffled`, a priority sometimes. */
    const candidate = (shuffled: boolean): string => {
      const [family, address] = pick(addresses);
      const fields = [`"kind":"${pick(['host', 'srflx', 'upnp', 'relay'])}"`, `"family":${family}`, `"address":"${address}"`, `"port":${prng.int(1, 65535)}`];
      if (prng.chance(0.3)) fields.push(`"priority":${prng.int(0, 4294967295)}`);
      if (shuffled) fields.reverse();
      return `{${fields.join(',')}}`;
    };
    const frame = (rid: number, pair: number): string => {
      const list = Array.from({ length: prng.int(0, 3) }, () => candidate(prng.chance(0.1)));
      const sep = prng.chance(0.1) ? ' , ' : ',';
      const done = pick(['', ',"done":true', ',"done":false']);
      return `{"type":"pair.candidates","rid":${rid},"pair":${pair},"candidates":[${list.join(sep)}]${done}}`;
    };
    // One script of frames, the same for both harnesses.
    const frames: Array<[number, number, string]> = [];
    for (let i = 0; i < 400; i++) frames.push([prng.int(0, 7), prng.int(0, 27), frame(100 + i, 0)]);
    const run = (h: CoreHarness): void => {
      const owner = h.client();
      const { lobby } = h.create(owner, { maxPeers: 8 });
      const members = [owner];
      for (let i = 1; i < 8; i++) {
        const c = h.client();
        h.join(c, lobby.code);
        members.push(c);
      }
      const pairsOf = members.map((c) => h.takeType(c, 'pair.start').map((s) => s.pair));
      for (const c of members) h.take(c);
      for (const [who, k, text] of frames) {
        const mine = pairsOf[who]!;
        h.send(members[who]!, text.replace('"pair":0', `"pair":${mine[k % mine.length]!}`));
      }
    };
    const text = new CoreHarness();
    const bytes = new CoreHarness();
    bytes.viaBytes = true;
    run(text);
    run(bytes);
    expect(bytes.sentTexts).to.deep.equal(text.sentTexts);
    expect(JSON.parse(JSON.stringify(bytes.core.metrics))).to.deep.equal(JSON.parse(JSON.stringify(text.core.metrics)));
    expect(bytes.core.snapshot()).to.deep.equal(text.core.snapshot());
    // Most went through the splice; some were re-encoded (spaced, reordered) or refused (the cap).
    expect(bytes.forwarded).to.be.greaterThan(150);
    const relayed = text.sentTexts.filter(([, t]) => t.startsWith('{"type":"pair.candidates"')).length;
    expect(relayed).to.be.greaterThan(bytes.forwarded);
    expect(text.sentTexts.some(([, t]) => t.includes('SIG_BAD_CANDIDATE'))).to.equal(true);
  });
});
