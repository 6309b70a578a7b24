// Validators of both directions: valid messages round-trip, invalid ones are named, and random
// or mutated input never throws, is refused with a named problem, or is accepted as a known
// message that decodes to itself again.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { decodeClientMessage } from '../../src/decode-client.js';
import { decodeServerMessage } from '../../src/decode-server.js';

const VALID_CLIENT = [
  { type: 'hello', rid: 1, versions: [1], caps: ['resume'], name: 'n' },
  { type: 'resume', rid: 2, token: 'abc' },
  { type: 'lobby.create', rid: 3, name: 'x', password: 'p', maxPeers: 4, mode: 'server' },
  { type: 'lobby.join', rid: 4, lobby: 'ABCD-EFGH', password: 'p' },
  { type: 'lobby.leave', rid: 5 },
  { type: 'lobby.seal', rid: 6 },
  { type: 'lobby.get', rid: 7 },
  { type: 'pair.candidates', rid: 8, pair: 1, candidates: [{ kind: 'host', family: 4, address: '1.2.3.4', port: 9 }], done: false },
  { type: 'pair.result', rid: 9, pair: 1, outcome: 'connected', path: 'lan', rttMs: 1 },
  { type: 'pair.result', rid: 10, pair: 1, outcome: 'failed', reason: 'refused' },
  {
    type: 'pair.result', rid: 11, pair: 1, outcome: 'failed', reason: 'timeout', probes: {
      ageMs: 5000, omitted: 1, checks: [
        { kind: 'prflx', path: 'direct', outcome: 'one-way', sent: 9, firstMs: 1, heardMs: 40.5, address: '2001:db8::7', port: 9 },
        { kind: 'relay', path: 'relay', outcome: 'answered', sent: 2, firstMs: 3000, answerMs: 3011, rttMs: 11, address: '203.0.113.4', port: 50000 },
        { kind: 'host', path: 'lan', outcome: 'unreachable', sent: 0 },
      ],
    },
  },
  { type: 'heartbeat.ack', n: 3, local: 12.5 },
  { type: 'relay.credentials', rid: 11 },
  { type: 'pair.candidates', rid: 12, pair: 1, candidates: [{ kind: 'relay', family: 4, address: '203.0.113.10', port: 50000 }], nat: { mapping: 'address-and-port-dependent', filtering: 'unknown' } },
];

const LOBBY = { code: 'ABCD-EFGH', mode: 'mesh', maxPeers: 16, sealed: false, owner: 1, hasPassword: false, members: [{ id: 1, away: false }], links: [{ pair: 1, a: 1, b: 5, state: 'pending' }] };
const VALID_SERVER = [
  { type: 'welcome', rid: 1, version: 1, caps: [], now: 5, graceMs: 1, heartbeatMs: 1, limits: { maxMessageBytes: 4096, maxCandidatesPerPair: 16, maxPeersCap: 64, messagesPerSecond: 50, messageBurst: 200 } },
  { type: 'ok', rid: 1 },
  { type: 'error', rid: null, code: 'SIG_BAD_MESSAGE', message: 'm', details: { field: 'x' } },
  { type: 'lobby.joined', rid: 1, you: 1, token: 't', lobby: LOBBY },
  { type: 'resume.ok', rid: 1, you: 1, token: 't', lobby: LOBBY },
  { type: 'lobby.joined', rid: 1, you: 1, token: 't', lobby: LOBBY, view: '/ui/lobby#lobby=game&token=pT1IL4wM69l62SrDu6neSw' },
  { type: 'lobby.state', rid: 1, lobby: LOBBY },
  { type: 'heartbeat', n: 1, now: 1, rttMs: 3, offsetMs: -4 },
  { type: 'peer.joined', peer: { id: 4, name: 'x', away: false } },
  { type: 'peer.left', id: 4, reason: 'timeout' },
  { type: 'peer.away', id: 4, graceMs: 30000 },
  { type: 'peer.back', id: 4 },
  { type: 'lobby.owner', owner: 4 },
  { type: 'lobby.sealed' },
  { type: 'pair.start', pair: 1, remote: 4, role: 'connect', at: 100, offsetMs: null, secret: 'A'.repeat(22), replaces: 3 },
  { type: 'pair.candidates', pair: 1, from: 4, candidates: [], done: true },
  { type: 'link.updated', link: { pair: 1, a: 1, b: 4, state: 'failed', reason: 'timeout' } },
  { type: 'shutdown', reason: 'bye' },
  { type: 'welcome', rid: 1, version: 1, caps: ['relay'], now: 5, graceMs: 1, heartbeatMs: 1, limits: { maxMessageBytes: 4096, maxCandidatesPerPair: 16, maxPeersCap: 64, messagesPerSecond: 50, messageBurst: 200 }, stunPort: 8787, relay: { servers: [{ port: 8787, transport: 'udp' }, { host: 'turn.example.org', port: 3478, transport: 'udp' }] } },
  { type: 'pair.candidates', pair: 1, from: 4, candidates: [], done: false, nat: { mapping: 'endpoint-independent', filtering: 'address-dependent' } },
  { type: 'relay.credentials', rid: 9, username: '1767225600:AbCdEfGhIjKl.5', password: 'c2VjcmV0c2VjcmV0c2VjcmV0cw==', ttlS: 600, realm: 'meshpunch', servers: [{ port: 8787, transport: 'udp' }] },
];

/** The message types each direction documents (docs/protocol.md), from the valid samples above. */
const CLIENT_TYPES = [...new Set(VALID_CLIENT.map((m) => m.type))];
const SERVER_TYPES = [...new Set(VALID_SERVER.map((m) => m.type))];

describe('decodeClientMessage', () => {
  it('accepts every documented client message and returns it unchanged', () => {
    for (const m of VALID_CLIENT) {
      const r = decodeClientMessage(JSON.stringify(m));
      expect(r, JSON.stringify(m)).to.deep.equal({ ok: true, message: m });
    }
  });

  it('drops unknown fields', () => {
    const r = decodeClientMessage('{"type":"lobby.get","rid":1,"__proto__":{"x":1},"junk":2}');
    expect(r).to.deep.equal({ ok: true, message: { type: 'lobby.get', rid: 1 } });
  });

  it('returns SIG_UNKNOWN_TYPE with the rid, and never reports an unknown type as the type', () => {
    expect(decodeClientMessage('{"type":"nope","rid":4}')).to.deep.equal({ ok: false, code: 'SIG_UNKNOWN_TYPE', message: 'unknown message type "nope"', rid: 4, type: null });
    expect(decodeClientMessage('{"type":"nope"}')).to.deep.include({ code: 'SIG_BAD_MESSAGE', type: null });
  });

  it('never throws on random or mutated input (10 000 cases) and always names a problem', () => {
    const prng = new Prng(seedFromEnv(77));
    const base = VALID_CLIENT.map((m) => JSON.stringify(m));
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 10_000; i++) {
      let text: string;
      if (prng.chance(0.3)) {
        text = String.fromCharCode(...Array.from({ length: prng.int(0, 64) }, () => prng.int(0, 0x7f)));
      } else {
        const chars = [...prng.pick(base)];
        for (let k = prng.int(1, 4); k > 0; k--) chars[prng.int(0, chars.length - 1)] = String.fromCharCode(prng.int(32, 126));
        text = chars.join('');
      }
      const r = decodeClientMessage(text);
      if (r.ok) {
        accepted++;
        expect(CLIENT_TYPES, text).to.include(r.message.type);
        // What the decoder accepts is a fixed point: encoding it and decoding again gives it back.
        expect(decodeClientMessage(JSON.stringify(r.message)), text).to.deep.equal(r);
      } else {
        refused++;
        expect(['SIG_BAD_MESSAGE', 'SIG_UNKNOWN_TYPE'], text).to.include(r.code);
        expect(r.message.length, text).to.be.greaterThan(0);
      }
    }
    // Both branches ran: the fuzz neither rejects everything nor accepts everything.
    expect(accepted).to.be.greaterThan(0);
    expect(refused).to.be.greaterThan(0);
  });
});

describe('decodeServerMessage', () => {
  it('accepts every documented service message and returns it unchanged', () => {
    for (const m of VALID_SERVER) expect(decodeServerMessage(JSON.stringify(m)), JSON.stringify(m)).to.deep.equal({ ok: true, message: m });
  });

  it('refuses a malformed relay list, NAT hint or relay.credentials answer, naming the field', () => {
    const w = VALID_SERVER.find((m) => m.type === 'welcome' && 'relay' in m)!;
    const bad = (m: object): string => {
      const r = decodeServerMessage(JSON.stringify(m));
      expect(r.ok, JSON.stringify(m)).to.equal(false);
      return r.ok ? '' : r.message;
    };
    expect(bad({ ...w, relay: { servers: [] } })).to.equal('welcome: relay.servers must be an array of 1..8 servers');
    expect(bad({ ...w, relay: { servers: [{ port: 3478, transport: 'tcp' }] } })).to.equal('welcome: relay.servers[0]: transport must be one of udp');
    expect(bad({ ...w, relay: { servers: [{ host: 'a b', port: 3478, transport: 'udp' }] } })).to.equal('welcome: relay.servers[0]: host must be a DNS name or an IP address');
    expect(bad({ type: 'pair.candidates', pair: 1, from: 4, candidates: [], done: false, nat: { mapping: 'symmetric', filtering: 'unknown' } }))
      .to.equal('pair.candidates: nat.mapping must be one of none, endpoint-independent, address-dependent, address-and-port-dependent, unknown');
    expect(bad({ type: 'relay.credentials', rid: 1, username: 'u', password: 'p', ttlS: 0, realm: 'r', servers: [{ port: 1, transport: 'udp' }] }))
      .to.equal('relay.credentials: ttlS must be an integer 1..86400');
    const c = decodeClientMessage(JSON.stringify({ type: 'pair.candidates', rid: 1, pair: 1, candidates: [], nat: { mapping: 'none' } }));
    expect(c).to.deep.include({ ok: false, code: 'SIG_BAD_MESSAGE', message: 'nat.filtering must be one of endpoint-independent, address-dependent, address-and-port-dependent, unknown' });
  });

  it('refuses error codes outside the documented set and malformed views', () => {
    expect(decodeServerMessage('{"type":"error","rid":1,"code":"SIG_WHATEVER","message":""}').ok).to.equal(false);
    expect(decodeServerMessage(JSON.stringify({ type: 'lobby.state', rid: 1, lobby: { ...LOBBY, members: [{ id: 0, away: false }] } })).ok).to.equal(false);
    expect(decodeServerMessage('{"type":"pair.start","pair":1,"remote":2,"role":"both","at":1,"offsetMs":null,"secret":"x"}').ok).to.equal(false);
  });

  it('never throws on mutated input (5 000 cases): accepts only known, stable messages and names every refusal', () => {
    const prng = new Prng(seedFromEnv(78));
    const base = VALID_SERVER.map((m) => JSON.stringify(m));
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const chars = [...prng.pick(base)];
      for (let k = prng.int(1, 4); k > 0; k--) chars[prng.int(0, chars.length - 1)] = String.fromCharCode(prng.int(32, 126));
      const text = chars.join('');
      const r = decodeServerMessage(text);
      if (r.ok) {
        accepted++;
        expect(SERVER_TYPES, text).to.include(r.message.type);
        // What the decoder accepts is a fixed point: encoding it and decoding again gives it back.
        expect(decodeServerMessage(JSON.stringify(r.message)), text).to.deep.equal(r);
      } else {
        refused++;
        expect(['SIG_BAD_MESSAGE', 'SIG_UNKNOWN_TYPE'], text).to.include(r.code);
        expect(r.message.length, text).to.be.greaterThan(0);
      }
    }
    // Both branches ran: the fuzz neither rejects everything nor accepts everything.
    expect(accepted).to.be.greaterThan(0);
    expect(refused).to.be.greaterThan(0);
  });
});
