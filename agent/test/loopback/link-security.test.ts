// Secured links (issue 18) on real loopback sockets: two LinkRunners wired as two agents' sessions
// wire them (candidates and fingerprints handed across in-process, as the service relays them).
// By default the link is DTLS pinned both ways: STUN punch checks and ENet share the socket, only
// DTLS records carry ENet, and the hosts handed to the mesh are DTLS hosts. A forged fingerprint
// (a signaling-level man in the middle) and a peer that sends none are refused with `auth-failed`
// before addMeshPeer. Traffic stays on 127.0.0.1.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { classifyDatagram } from '@meshpunch/dtls';
import { EventType, FLAG_RELIABLE, type ENetConnection } from '@meshpunch/enet';
import type { LinkContext } from '../../src/adapter/link-context.js';
import { LinkRunner } from '../../src/adapter/link-runner.js';
import { gatherLinkSocket, type LinkSocket } from '../../src/adapter/link-socket.js';
import { LinkSecurity, SessionIdentity } from '../../src/adapter/link-security.js';
import { resolveJoinMeshOptions } from '../../src/adapter/options.js';
import type { LinkOutcome, LinkRole } from '../../src/core/link-machine.js';

const config = resolveJoinMeshOptions({ signal: 'ws://127.0.0.1:1', lobby: 'loopback', bindAddress: '127.0.0.1' });

interface Side {
  readonly runner: LinkRunner;
  readonly socket: LinkSocket;
  readonly outcome: Promise<LinkOutcome>;
  /** First-byte classes (RFC 7983) of every datagram the link socket received. */
  readonly received: Map<string, number>;
  handedOver: ENetConnection | undefined;
}

function withinMs<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('secured links: DTLS pinned by signaled fingerprints (loopback)', function () {
  this.timeout(20_000);
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  /**
   * A pair: 1 listens, 2 connects. `secure[i]` false = that side runs --insecure; `forge` replaces
   * the fingerprint side 1 receives for side 2 (a man in the middle of signaling).
   */
  async function pair(o: { secure?: [boolean, boolean]; forge?: string; tamperListenerInput?: (bytes: Uint8Array) => void } = {}): Promise<[Side, Side]> {
    const sides: Side[] = [];
    const secure = o.secure ?? [true, true];
    const make = async (ownId: 1 | 2, role: LinkRole): Promise<Side> => {
      const socket = await gatherLinkSocket({ bindAddress: '127.0.0.1', stunServers: [] });
      const received = new Map<string, number>();
      const punch = socket.host.intercept;
      socket.host.intercept = (from, bytes) => {
        const k = classifyDatagram(bytes);
        received.set(k, (received.get(k) ?? 0) + 1);
        if (punch !== null && punch(from, bytes)) return true;
        // A man in the middle on the path: what reaches the listener's DTLS is rewritten in place.
        if (ownId === 1 && k === 'dtls') o.tamperListenerInput?.(bytes);
        return false;
      };
      let report!: (o: LinkOutcome) => void;
      const outcome = new Promise<LinkOutcome>((r) => (report = r));
      const security = secure[ownId - 1] ? new LinkSecurity(new SessionIdentity()) : undefined;
      const ctx: LinkContext = {
        ownId,
        security,
        start: { pairId: '9', remoteId: ownId === 1 ? 2 : 1, role, startAt: performance.now() },
        secret: new Uint8Array(16).fill(9),
        config,
        stunServers: [],
        timeouts: { gatherMs: 2000, exchangeMs: 2000, punchMs: 3000, connectMs: 3000 },
        prepared: Promise.resolve(socket),
        upnpGateway: () => Promise.resolve(undefined),
        natHint: () => undefined,
        relayOffered: false,
        relayAccess: () => Promise.resolve(undefined),
        now: () => performance.now(),
        // The service relays candidates (and the fingerprint field, when sent) to the other side.
        sendCandidates: (c) => setImmediate(() => {
          const other = sides[ownId === 1 ? 1 : 0]!.runner;
          let fp = security?.candidateFields.fingerprint;
          if (ownId === 2 && o.forge !== undefined) fp = o.forge;
          if (fp !== undefined) other.security?.setRemoteFingerprint(fp);
          other.remoteCandidates(c);
        }),
        onPhase: () => undefined,
        addMeshPeer: (host) => {
          side.handedOver = host;
        },
        onOutcome: report,
      };
      const side: Side = { runner: new LinkRunner(ctx), socket, outcome, received, handedOver: undefined };
      cleanups.push(() => {
        side.runner.close();
        side.handedOver?.destroy();
      });
      return side;
    };
    sides.push(await make(1, 'listen'), await make(2, 'connect'));
    for (const s of sides) s.runner.begin();
    return [sides[0]!, sides[1]!];
  }

  it('links with DTLS by default: punch checks and DTLS share the socket, ENet travels only inside DTLS', async () => {
    const [a, b] = await pair();
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 10_000, 'both outcomes');
    expect(oa.ok, JSON.stringify(oa)).to.equal(true);
    expect(ob.ok, JSON.stringify(ob)).to.equal(true);
    const ha = a.handedOver!;
    const hb = b.handedOver!;
    expect(ha.isDtls() && hb.isDtls()).to.equal(true);
    // Data across the handed-over hosts (what the mesh will carry), still only DTLS and STUN on the wire.
    const peer = hb.getPeers()[0]!;
    expect(peer.send(0, new TextEncoder().encode('over dtls'), FLAG_RELIABLE)).to.equal(true);
    let got: Uint8Array | undefined;
    for (let i = 0; i < 500 && got === undefined; i++) {
      for (const h of [ha, hb]) {
        const ev = await h.service(2);
        if (h === ha && ev.type === EventType.RECEIVE) got = ev.packet;
      }
    }
    expect(new TextDecoder().decode(got)).to.equal('over dtls');
    for (const s of [a, b]) {
      expect([...s.received.keys()].sort()).to.deep.equal(['dtls', 'stun']);
      expect(s.received.get('dtls')).to.be.greaterThan(2);
    }
  });

  it('refuses a forged fingerprint (man in the middle of signaling) with auth-failed on both sides, before addMeshPeer', async () => {
    const forged = `sha-256 ${new SessionIdentity().generated.fingerprint}`;
    const [a, b] = await pair({ forge: forged });
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 10_000, 'both outcomes');
    expect(oa).to.deep.include({ ok: false, reason: 'auth-failed' });
    expect(ob).to.deep.include({ ok: false, reason: 'auth-failed' });
    // The listener expected the forged certificate and saw the real one.
    expect(!oa.ok && oa.detail).to.match(/DTLS_FINGERPRINT_MISMATCH/);
    expect(a.handedOver).to.equal(undefined);
    expect(b.handedOver).to.equal(undefined);
  });

  it('refuses a handshake rewritten on the path (the client key exchange altered) with auth-failed on both sides', async () => {
    let rewritten = 0;
    const [a, b] = await pair({
      tamperListenerInput: (bytes) => {
        // Records: 13-byte header (type, version, epoch+seq, length); a handshake record of epoch 0
        // whose message is client_key_exchange (16) gets the last byte of its public key flipped.
        for (let off = 0; off + 13 <= bytes.length;) {
          const len = (bytes[off + 11]! << 8) | bytes[off + 12]!;
          const epoch = (bytes[off + 3]! << 8) | bytes[off + 4]!;
          if (bytes[off] === 22 && epoch === 0 && bytes[off + 13] === 16 && off + 13 + len <= bytes.length) {
            bytes[off + 13 + len - 1]! ^= 0x55;
            rewritten++;
          }
          off += 13 + len;
        }
      },
    });
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 15_000, 'both outcomes');
    expect(rewritten).to.be.greaterThan(0);
    expect(oa).to.deep.include({ ok: false, reason: 'auth-failed' });
    expect(ob).to.deep.include({ ok: false, reason: 'auth-failed' });
    expect(a.handedOver).to.equal(undefined);
    expect(b.handedOver).to.equal(undefined);
  });

  it('refuses a peer whose candidates carry no fingerprint (it runs --insecure) with auth-failed', async () => {
    const [a, b] = await pair({ secure: [true, false] });
    const oa = await withinMs(a.outcome, 10_000, 'the secure side outcome');
    expect(oa).to.deep.include({ ok: false, reason: 'auth-failed' });
    expect(!oa.ok && oa.detail).to.match(/no DTLS fingerprint/);
    expect(a.handedOver).to.equal(undefined);
    // The insecure side cannot complete its ENet handshake with a link that is gone.
    const ob = await withinMs(b.outcome, 15_000, 'the insecure side outcome');
    expect(ob.ok).to.equal(false);
    expect(b.handedOver).to.equal(undefined);
  });

  it('both sides --insecure: plain ENet, no DTLS (interop with peers without DTLS)', async () => {
    const [a, b] = await pair({ secure: [false, false] });
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 10_000, 'both outcomes');
    expect([oa.ok, ob.ok]).to.deep.equal([true, true]);
    expect(a.handedOver!.isDtls() || b.handedOver!.isDtls()).to.equal(false);
    expect(a.received.get('dtls') ?? 0).to.equal(0);
  });
  it('a session identity builds the record cipher (ChaCha20-Poly1305 WebAssembly) with it, not inside the first link\'s handshake', async () => {
    // A fresh process: the cipher is built once per process, and this one may have built it already.
    // It counts the WebAssembly modules compiled while SessionIdentity is made.
    const url = new URL('../../src/adapter/link-security.js', import.meta.url).href;
    const script = `const W = globalThis.WebAssembly; const M = W.Module; let n = 0;
      W.Module = function (b) { n++; return new M(b); };
      const { SessionIdentity } = await import(${JSON.stringify(url)});
      const before = n; new SessionIdentity(); console.log(JSON.stringify({ before, after: n }));`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout, stderr) => (err === null ? resolve(stdout) : reject(new Error(`${err.message}: ${stderr}`))));
    });
    expect(JSON.parse(out.trim())).to.deep.equal({ before: 0, after: 1 });
  });
});
