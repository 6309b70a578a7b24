// DtlsTransport (one session per remote on one socket, the ENet DTLS model): a client holds
// plaintext during its handshake (bounded, counted) and seals it in order once connected; the
// hot path seals straight into the caller's buffer; a server drops plaintext for remotes without a
// connected session; a failed remote is not retried; a cleanly closed one may be opened again;
// datagrams from a source the client never sent to are counted and dropped; the receive hot path
// opens one-record datagrams in place and declines anything else. Driven in-process
// with a virtual clock (no network).
import { expect } from 'chai';
import { CipherSuite, DtlsTransport, nodeDtlsCrypto, type DtlsTransportEvent, type DtlsTransportOptions } from '../../src/index.js';
import { identities } from '../helpers/peers.js';

const C = { address: '10.0.0.1', port: 1111 };
const S = { address: '10.0.0.2', port: 2222 };
const random = (out: Uint8Array): void => {
  for (let i = 0; i < out.length; i++) out[i] = (i * 131 + out.length) & 0xff;
};

interface World {
  client: DtlsTransport;
  server: DtlsTransport;
  ce: DtlsTransportEvent[];
  se: DtlsTransportEvent[];
  /** Moves datagrams both ways until quiet (bounded), returning how many moved. */
  pump(drop?: (from: 'c' | 's', bytes: Uint8Array) => boolean): number;
}

function world(extra: Partial<DtlsTransportOptions> = {}, serverFingerprintForClient?: string): World {
  const [srv, cli] = identities();
  const client = new DtlsTransport({ role: 'client', crypto: nodeDtlsCrypto, random, identity: cli!.identity, expectedFingerprint: serverFingerprintForClient ?? srv!.fingerprint, ...extra });
  const server = new DtlsTransport({ role: 'server', crypto: nodeDtlsCrypto, random, identity: srv!.identity, expectedFingerprint: cli!.fingerprint });
  const ce: DtlsTransportEvent[] = [];
  const se: DtlsTransportEvent[] = [];
  const out = new Uint8Array(65536);
  const to = { address: '', port: 0 };
  const w: World = {
    client, server, ce, se,
    pump(drop) {
      let moved = 0;
      for (let round = 0; round < 100; round++) {
        let any = false;
        for (let n = client.pollTransmit(0, out, to); n > 0; n = client.pollTransmit(0, out, to)) {
          any = true;
          moved++;
          const b = out.slice(0, n);
          if (drop?.('c', b) !== true) server.handleDatagram(0, C, b);
        }
        for (let n = server.pollTransmit(0, out, to); n > 0; n = server.pollTransmit(0, out, to)) {
          any = true;
          moved++;
          const b = out.slice(0, n);
          if (drop?.('s', b) !== true) client.handleDatagram(0, S, b);
        }
        for (let e = client.pollEvent(); e !== undefined; e = client.pollEvent()) ce.push(e);
        for (let e = server.pollEvent(); e !== undefined; e = server.pollEvent()) se.push(e);
        if (!any) break;
      }
      return moved;
    },
  };
  return w;
}

const data = (es: DtlsTransportEvent[]): string[] => es.filter((e) => e.type === 'data').map((e) => new TextDecoder().decode((e as { data: Uint8Array }).data));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('DtlsTransport', () => {
  it('holds a client\'s plaintext during the handshake and delivers it in order once connected', () => {
    const w = world();
    for (const m of ['one', 'two', 'three']) expect(w.client.send(0, S, enc(m))).to.equal(true);
    expect(w.client.counters.handshakesStarted).to.equal(1);
    w.pump();
    expect(w.ce.map((e) => e.type)).to.deep.equal(['connected']);
    expect(data(w.se)).to.deep.equal(['one', 'two', 'three']);
    // Server to client, and the client's hot path: sealed straight into the caller's buffer.
    expect(w.server.send(0, C, enc('back'))).to.equal(true);
    const out = new Uint8Array(2048);
    const n = w.client.sealTo(S, enc('sealed'), out);
    expect(n).to.be.greaterThan(0);
    w.server.handleDatagram(0, C, out.slice(0, n));
    w.pump();
    expect(data(w.ce)).to.deep.equal(['back']);
    expect(data(w.se)).to.deep.equal(['one', 'two', 'three', 'sealed']);
    // No session for a remote: sealTo declines and the caller falls back to send.
    expect(w.client.sealTo({ address: '10.9.9.9', port: 9 }, enc('x'), out)).to.equal(0);
  });

  for (const [suiteName, suite] of [['ChaCha20-Poly1305', CipherSuite.EcdheEcdsaChacha20Poly1305Sha256], ['AES-128-GCM', CipherSuite.EcdheEcdsaAes128GcmSha256]] as const) {
    it(`opens a connected remote's application data in place (openFrom), both roles, ${suiteName}; replays and forgeries are dropped and counted; anything else is declined`, () => {
      const w = world({ cipherSuites: [suite] });
      w.client.send(0, S, enc('hello'));
      w.pump();
      expect(w.ce.map((e) => e.type)).to.deep.equal(['connected']);
      const out = new Uint8Array(2048);
      // Client → server.
      let n = w.client.sealTo(S, enc('to server'), out);
      const dg = out.slice(0, n);
      const copy = dg.slice();
      const plain = w.server.openFrom(C, dg);
      expect(plain instanceof Uint8Array && new TextDecoder().decode(plain)).to.equal('to server');
      expect(plain!.buffer).to.equal(dg.buffer); // a view into the datagram, decrypted in place
      const session = w.server.session(C.address, C.port)!;
      const before = { ...session.counters };
      // The same record again: a replay, dropped and counted.
      expect(w.server.openFrom(C, copy.slice())).to.equal(null);
      expect(session.counters.recordsReplayed).to.equal(before.recordsReplayed + 1);
      // A forged record (next sequence number, a flipped ciphertext bit): dropped, counted, left as it was.
      n = w.client.sealTo(S, enc('forged'), out);
      const forged = out.slice(0, n);
      forged[20]! ^= 1;
      const forgedCopy = forged.slice();
      expect(w.server.openFrom(C, forged)).to.equal(null);
      expect(session.counters.recordsDecryptFailed).to.equal(before.recordsDecryptFailed + 1);
      expect([...forged]).to.deep.equal([...forgedCopy]);
      // Declined, nothing done: two records in one datagram, a truncated one, an unknown source.
      n = w.client.sealTo(S, enc('a'), out);
      const two = new Uint8Array(2 * n);
      two.set(out.subarray(0, n), 0);
      two.set(out.subarray(0, n), n);
      expect(w.server.openFrom(C, two)).to.equal(undefined);
      expect(w.server.openFrom(C, out.slice(0, n - 1))).to.equal(undefined);
      expect(w.server.openFrom({ address: '10.9.9.9', port: 9 }, out.slice(0, n))).to.equal(undefined);
      expect(session.counters.applicationRecordsReceived).to.equal(before.applicationRecordsReceived);
      // handleDatagram still takes what was declined ('a' once: the second copy is a replay).
      w.server.handleDatagram(0, C, two);
      w.pump();
      expect(data(w.se)).to.deep.equal(['hello', 'a']);
      // Server → client.
      n = w.server.sealTo(C, enc('to client'), out);
      const back = w.client.openFrom(S, out.slice(0, n));
      expect(back instanceof Uint8Array && new TextDecoder().decode(back)).to.equal('to client');
      expect(w.client.openFrom({ address: '10.9.9.9', port: 9 }, out.slice(0, n))).to.equal(undefined);
      // A Buffer 37 bytes into a larger ArrayBuffer, as node may hand a datagram over: the plaintext
      // is a view of that memory at the right place, the bytes around the record untouched.
      n = w.client.sealTo(S, enc('pooled'), out);
      const pool = Buffer.alloc(n + 100, 0xaa);
      const pooled = pool.subarray(37, 37 + n);
      pooled.set(out.subarray(0, n));
      const fromPool = w.server.openFrom(C, pooled);
      expect(fromPool instanceof Uint8Array && new TextDecoder().decode(fromPool)).to.equal('pooled');
      expect(fromPool!.buffer).to.equal(pool.buffer);
      expect(fromPool!.byteOffset - pool.byteOffset).to.be.within(37 + 13, 37 + 13 + 8);
      expect(pool[36]).to.equal(0xaa);
      expect(pool[37 + n]).to.equal(0xaa);
    });
  }

  it('declines the receive hot path while the handshake runs and while events wait', () => {
    const w = world();
    w.client.send(0, S, enc('hello'));
    const out = new Uint8Array(65536);
    const to = { address: '', port: 0 };
    const hello = out.slice(0, w.client.pollTransmit(0, out, to));
    expect(w.server.openFrom(C, hello)).to.equal(undefined);
    w.server.handleDatagram(0, C, hello);
    w.pump();
    // An event not yet polled: data must not overtake it.
    w.server.handleDatagram(0, C, out.slice(0, w.client.sealTo(S, enc('queued'), out)));
    expect(w.server.openFrom(C, out.slice(0, w.client.sealTo(S, enc('later'), out)))).to.equal(undefined);
    w.pump();
    expect(data(w.se)).to.deep.equal(['hello', 'queued']);
  });

  it('bounds the plaintext held per remote and counts the overflow', () => {
    const w = world({ maxPendingPerRemote: 2 });
    expect([w.client.send(0, S, enc('a')), w.client.send(0, S, enc('b')), w.client.send(0, S, enc('c'))]).to.deep.equal([true, true, false]);
    expect(w.client.counters.plaintextPendingOverflow).to.equal(1);
    w.pump();
    expect(data(w.se)).to.deep.equal(['a', 'b']);
  });

  it('a server drops plaintext for a remote without a connected session', () => {
    const w = world();
    expect(w.server.send(0, C, enc('early'))).to.equal(false);
    expect(w.server.counters.plaintextWithoutSession).to.equal(1);
    expect(w.server.sealTo(C, enc('early'), new Uint8Array(2048))).to.equal(0);
  });

  it('does not retry a remote whose handshake failed (wrong fingerprint), and says so', () => {
    const stranger = identities()[2]!;
    const w = world({}, stranger.fingerprint);
    w.client.send(0, S, enc('hello'));
    w.pump();
    const err = w.ce.find((e) => e.type === 'error');
    expect(err !== undefined && err.type === 'error' && err.error.code).to.equal('DTLS_FINGERPRINT_MISMATCH');
    expect(w.client.send(0, S, enc('again'))).to.equal(false);
    expect(w.client.counters.plaintextAfterFailure).to.equal(1);
    expect(w.client.counters.handshakesStarted).to.equal(1);
    expect(data(w.se)).to.deep.equal([]);
  });

  it('opens a cleanly closed association again on the next send', () => {
    const w = world();
    w.client.send(0, S, enc('first'));
    w.pump();
    w.client.closeAll(0);
    w.pump();
    expect(w.se.some((e) => e.type === 'closed')).to.equal(true);
    expect(w.client.send(0, S, enc('second'))).to.equal(true);
    expect(w.client.counters.handshakesStarted).to.equal(2);
    w.pump();
    expect(data(w.se)).to.deep.equal(['first', 'second']);
  });

  it('counts and drops datagrams from a source the client never sent to', () => {
    const w = world();
    w.client.handleDatagram(0, { address: '10.6.6.6', port: 6 }, new Uint8Array([22, 254, 253, 0, 0]));
    expect(w.client.counters.datagramsFromUnknownSource).to.equal(1);
    expect(w.client.pollEvent()).to.equal(undefined);
  });

  describe('False Start (RFC 7918)', () => {
    /** One-way legs (all datagrams one direction) until the server delivered `data`, at most 12. */
    function legsUntilDelivered(w: World): number {
      const out = new Uint8Array(65536);
      const to = { address: '', port: 0 };
      for (let leg = 1; leg <= 12; leg++) {
        const fromClient = leg % 2 === 1;
        const src = fromClient ? w.client : w.server;
        for (let n = src.pollTransmit(0, out, to); n > 0; n = src.pollTransmit(0, out, to)) {
          if (fromClient) w.server.handleDatagram(0, C, out.slice(0, n));
          else w.client.handleDatagram(0, S, out.slice(0, n));
        }
        for (let e = w.client.pollEvent(); e !== undefined; e = w.client.pollEvent()) w.ce.push(e);
        for (let e = w.server.pollEvent(); e !== undefined; e = w.server.pollEvent()) w.se.push(e);
        if (w.se.some((e) => e.type === 'data')) return leg;
      }
      return Number.POSITIVE_INFINITY;
    }

    it('sends the held plaintext with the client Finished, one round trip before the server Finished', () => {
      const w = world({ falseStart: true });
      w.client.send(0, S, Uint8Array.of(7, 7));
      // hello, cookie, hello again, server flight, client flight with the data: the fifth leg.
      expect(legsUntilDelivered(w)).to.equal(5);
      expect(w.se.map((e) => e.type)).to.deep.equal(['connected', 'data']);
      expect(w.ce.map((e) => e.type)).to.deep.equal([]);
      w.pump();
      expect(w.ce.map((e) => e.type)).to.deep.equal(['connected']);
      // The client still holds the server's Finished to account: later data is ordinary.
      w.client.send(0, S, Uint8Array.of(8));
      w.pump();
      expect(w.se.filter((e) => e.type === 'data').map((e) => [...(e as { data: Uint8Array }).data])).to.deep.equal([[7, 7], [8]]);
    });

    it('without it the plaintext waits for the server Finished (seventh leg)', () => {
      const w = world();
      w.client.send(0, S, Uint8Array.of(7, 7));
      expect(legsUntilDelivered(w)).to.equal(7);
    });

    it('is refused for a server', () => {
      const [srv, cli] = identities();
      expect(() => new DtlsTransport({ role: 'server', crypto: nodeDtlsCrypto, random, identity: srv!.identity, expectedFingerprint: cli!.fingerprint, falseStart: true }))
        .to.throw('falseStart applies to a client only');
    });
  });
});
