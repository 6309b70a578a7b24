// Seeded random walks over the core (create, join, leave, drop, resume, candidates, results,
// seal, junk, time passing), checking the lobby invariants after every step. A failure prints
// the seed; MESHPUNCH_SEED=<n> replays it.
import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import type { ServerMessage } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

const STEPS = 400;
const WALKS = 12;

interface Client { conn: number; code?: string; id?: number; token?: string; pairs: number[] }

function checkInvariants(h: CoreHarness, ctx: string): void {
  const snap = h.core.snapshot();
  let members = 0;
  const connOwners = new Set<number>();
  for (const l of snap.lobbies) {
    expect(l.members.length, `${ctx}: empty lobby ${l.code} kept`).to.be.greaterThan(0);
    const ids = l.members.map((m) => m.id);
    expect(new Set(ids).size, `${ctx}: duplicate id in ${l.code}`).to.equal(ids.length);
    for (const id of ids) expect(id === 1 || (id >= 2 && id <= 0x7fffffff), `${ctx}: id ${id}`).to.equal(true);
    // Ownership passes to the lowest id when the owner leaves; a later joiner may draw a lower
    // random id without taking it over.
    expect(ids, `${ctx}: owner of ${l.code} is a member`).to.include(l.owner);
    const present = new Set(l.members.filter((m) => !m.away).map((m) => m.id));
    const keys = new Set<string>();
    for (const p of l.pairs) {
      expect(ids.includes(p.a) && ids.includes(p.b), `${ctx}: pair ${p.pair} with a non-member`).to.equal(true);
      expect(p.a < p.b, `${ctx}: pair order`).to.equal(true);
      const listener = l.mode === 'server' && (p.a === l.owner || p.b === l.owner) ? l.owner : p.a;
      expect(p.listener, `${ctx}: listener of pair ${p.pair}`).to.equal(listener);
      const k = `${p.a}:${p.b}`;
      expect(keys.has(k), `${ctx}: two pairs for ${k}`).to.equal(false);
      keys.add(k);
    }
    for (const x of present) {
      for (const y of present) {
        if (x < y && (l.mode === 'mesh' || x === l.owner || y === l.owner)) expect(keys.has(`${x}:${y}`), `${ctx}: present members ${x}, ${y} of ${l.code} have no pair`).to.equal(true);
      }
    }
    for (const m of l.members) {
      if (m.conn === null) continue;
      expect(snap.connections.includes(m.conn), `${ctx}: member on a closed connection`).to.equal(true);
      expect(connOwners.has(m.conn), `${ctx}: connection in two seats`).to.equal(false);
      connOwners.add(m.conn);
    }
    members += l.members.length;
  }
  expect(snap.tokens, `${ctx}: one resume token per member`).to.equal(members);
  expect(h.core.memberCount).to.equal(members);
  expect(h.core.connectionCount).to.equal(snap.connections.length);
}

function walk(seed: number): void {
  const h = new CoreHarness({ graceMs: 8000, heartbeatMs: 3000, idleTimeoutMs: 9000, messagesPerSecond: 0 }, seed);
  const prng = h.prng;
  const clients: Client[] = [];
  const dropped: Array<{ token: string; code: string; id: number }> = [];
  const codes: string[] = [];
  const live = (): Client[] => clients.filter((c) => !h.closed.has(c.conn));
  const inLobby = (): Client[] => live().filter((c) => c.code !== undefined);
  const absorb = (c: Client, msgs: ServerMessage[]): void => {
    for (const m of msgs) {
      if (m.type === 'pair.start') c.pairs.push(m.pair);
      if (m.type === 'lobby.joined' || m.type === 'resume.ok') Object.assign(c, { code: m.lobby.code, id: m.you, token: m.token });
    }
  };
  const answer = (c: Client, body: Record<string, unknown>, allowed: string[]): ServerMessage => {
    const msg = h.request(c.conn, body);
    if (msg.type === 'error') expect(allowed, `seed ${seed}: ${String(body.type)} → ${msg.code} ${msg.message}`).to.include(msg.code);
    absorb(c, [msg]);
    return msg;
  };
  for (let step = 0; step < STEPS; step++) {
    for (const c of live()) absorb(c, h.take(c.conn));
    const ctx = `seed ${seed} step ${step}`;
    const roll = prng.int(0, 99);
    const pickLobby = prng.pick([undefined, ...inLobby()]);
    const free = live().filter((c) => c.code === undefined);
    if (roll < 12 || live().length === 0) {
      if (live().length < 24) clients.push({ conn: h.client(), pairs: [] });
    } else if (roll < 20 && free.length > 0) {
      const c = prng.pick(free);
      const r = answer(c, { type: 'lobby.create', mode: prng.pick(['mesh', 'server']), maxPeers: prng.int(2, 6), ...(prng.chance(0.2) ? { password: 'pw' } : {}) }, ['SIG_TOO_MANY_LOBBIES']);
      if (r.type === 'lobby.joined') codes.push(r.lobby.code);
    } else if (roll < 40 && free.length > 0 && codes.length > 0) {
      const c = prng.pick(free);
      answer(c, { type: 'lobby.join', lobby: prng.pick(codes), password: prng.pick(['pw', 'nope']) }, ['SIG_LOBBY_NOT_FOUND', 'SIG_LOBBY_FULL', 'SIG_LOBBY_SEALED', 'SIG_BAD_PASSWORD']);
    } else if (roll < 46 && pickLobby !== undefined) {
      answer(pickLobby, { type: 'lobby.leave' }, []);
      Object.assign(pickLobby, { code: undefined, id: undefined, token: undefined, pairs: [] });
    } else if (roll < 54 && pickLobby !== undefined) {
      dropped.push({ token: pickLobby.token!, code: pickLobby.code!, id: pickLobby.id! });
      h.drop(pickLobby.conn, prng.pick([1006, 1001, 4000]));
      h.closed.set(pickLobby.conn, { code: 1006, reason: 'test drop' });
    } else if (roll < 58 && pickLobby !== undefined) {
      h.drop(pickLobby.conn, 1000);
      h.closed.set(pickLobby.conn, { code: 1000, reason: 'test close' });
    } else if (roll < 66 && dropped.length > 0) {
      const d = dropped.splice(prng.int(0, dropped.length - 1), 1)[0]!;
      const c: Client = { conn: h.client(), pairs: [] };
      clients.push(c);
      const r = answer(c, { type: 'resume', token: d.token }, ['SIG_RESUME_REJECTED']);
      if (r.type === 'resume.ok') expect(r.you, ctx).to.equal(d.id);
    } else if (roll < 76 && pickLobby !== undefined && pickLobby.pairs.length > 0) {
      const n = prng.int(1, 6);
      answer(pickLobby, { type: 'pair.candidates', pair: prng.pick(pickLobby.pairs), candidates: Array.from({ length: n }, (_, i) => ({ kind: 'host', family: 4, address: '10.0.0.1', port: 1000 + i })), done: prng.chance(0.5) }, ['SIG_UNKNOWN_PAIR', 'SIG_BAD_CANDIDATE']);
    } else if (roll < 82 && pickLobby !== undefined && pickLobby.pairs.length > 0) {
      const ok = prng.chance(0.6);
      answer(pickLobby, ok ? { type: 'pair.result', pair: prng.pick(pickLobby.pairs), outcome: 'connected', path: prng.pick(['lan', 'direct', 'upnp', 'relay']) } : { type: 'pair.result', pair: prng.pick(pickLobby.pairs), outcome: 'failed', reason: 'timeout' }, ['SIG_UNKNOWN_PAIR']);
    } else if (roll < 85 && pickLobby !== undefined) {
      answer(pickLobby, { type: 'lobby.seal' }, ['SIG_NOT_OWNER']);
    } else if (roll < 88 && live().length > 0) {
      h.send(prng.pick(live()).conn, prng.pick(['{', '{"type":"x","rid":1}', '[]', '{"type":"lobby.join","rid":"a"}']));
    } else {
      h.advance(prng.int(0, 12_000));
    }
    // Connections the core closed (idle, bad messages) lose their seat like a drop.
    for (const c of clients) if (h.closed.has(c.conn) && c.code !== undefined && c.token !== undefined && !dropped.some((d) => d.token === c.token)) dropped.push({ token: c.token, code: c.code, id: c.id! });
    checkInvariants(h, ctx);
  }
  for (const c of live()) {
    h.drop(c.conn, 1000);
    h.closed.set(c.conn, { code: 1000, reason: 'end' });
  }
  h.advance(60_000);
  checkInvariants(h, `seed ${seed} end`);
  expect(h.core.lobbyCount, `seed ${seed}`).to.equal(0);
  expect(h.core.connectionCount).to.equal(0);
  expect(h.core.pollTimeout(), `seed ${seed}: timers left`).to.equal(undefined);
}

describe('SignalingCore random walks (sim)', () => {
  const base = seedFromEnv(0xc0ffee);
  for (let i = 0; i < WALKS; i++) {
    const seed = (base + i) >>> 0;
    it(`keeps every lobby invariant through ${STEPS} random steps (seed ${seed})`, () => walk(seed));
  }
});
