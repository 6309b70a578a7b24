// LAN adverts, passwords and the lobby summary (issue #16), without sockets: records go through
// dns-packet's real encoder and decoder, never onto a network.
import { expect } from 'chai';
import packet from 'dns-packet';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { advertRecords, asksForUs, instanceName, parseAdverts, parseTxt, SERVICE_TYPE, type LanAdvert } from '../../src/lan/advert.js';
import { hostProof, joinToken, lanSecret, proofMatches } from '../../src/lan/password.js';
import { summarizeLobbies } from '../../src/lan/lobbies.js';
import { parseCommand } from '../../src/cli/flags.js';

const host: LanAdvert = { role: 'host', lobby: 'party', token: '0123456789abcdef', members: 3, password: true, mode: 'mesh', peer: 1, port: 41000, proofPort: 41001, address: '10.77.1.2' };

function wire(answers: packet.Answer[]): packet.Packet {
  return packet.decode(packet.encode({ type: 'response', answers }));
}

describe('LAN adverts', () => {
  it('a host advert survives the DNS wire format', () => {
    const got = parseAdverts(wire(advertRecords(host)), '10.77.1.2');
    expect(got.drops).to.deep.equal([]);
    expect(got.adverts).to.deep.equal([{ ...host, from: '10.77.1.2' }]);
  });

  it('a host advert takes its address from the A record, not the sender', () => {
    const got = parseAdverts(wire(advertRecords({ ...host, address: '10.77.2.9' })), '10.77.1.2');
    expect(got.adverts[0]!.address).to.equal('10.77.2.9');
  });

  it('IPv6 hosts advertise AAAA', () => {
    const got = parseAdverts(wire(advertRecords({ ...host, address: 'fd77:1::2' })), 'fd77:1::2');
    expect(got.adverts[0]!.address).to.equal('fd77:1::2');
  });

  it('TTL 0 is a goodbye', () => {
    const got = parseAdverts(wire(advertRecords(host, 0)), '10.77.1.2');
    expect(got.adverts).to.deep.equal([]);
    expect(got.goodbyes).to.deep.equal([host.token]);
  });

  it('candidates and members need no SRV', () => {
    const cand = { ...host, role: 'candidate' as const, peer: undefined, port: undefined, proofPort: undefined, address: undefined };
    expect(parseAdverts(wire(advertRecords(cand)), '10.77.1.3').adverts).to.deep.equal([{ ...cand, from: '10.77.1.3' }]);
  });

  it('drops lying or malformed TXT records and counts why', () => {
    const txt = (data: string[], token = host.token): packet.Answer => ({ name: instanceName(token), type: 'TXT', ttl: 10, data });
    const base = ['v=1', 'role=member', 'lobby=party', `tok=${host.token}`, 'members=2', 'pw=0', 'mode=mesh'];
    const cases: Array<[string[], string]> = [
      [base.map((x) => (x === 'v=1' ? 'v=2' : x)), 'bad-version'],
      [base.map((x) => (x === 'lobby=party' ? 'lobby=Bad Lobby!' : x)), 'bad-lobby'],
      [base.map((x) => (x === 'lobby=party' ? `lobby=${'a'.repeat(65)}` : x)), 'bad-lobby'],
      [base.map((x) => (x === 'role=member' ? 'role=king' : x)), 'bad-txt'],
      [base.map((x) => (x === 'members=2' ? 'members=-1' : x)), 'bad-txt'],
      [base.map((x) => (x === 'pw=0' ? 'pw=maybe' : x)), 'bad-txt'],
      [[...base, 'peer=0'], 'bad-txt'],
      [[...base, 'proof=70000'], 'bad-txt'],
    ];
    for (const [data, why] of cases) expect(parseAdverts(wire([txt(data)]), '10.77.1.3').drops, data.join(' ')).to.deep.equal([why]);
    // The instance name must be its token's: a record cannot speak for another agent.
    expect(parseAdverts(wire([txt(base, 'aaaaaaaaaaaaaaaa')]), '10.77.1.3').drops).to.deep.equal(['bad-txt']);
    // A host without SRV has nowhere to go.
    const noSrv = advertRecords(host).filter((r) => r.type !== 'SRV');
    expect(parseAdverts(wire(noSrv), '10.77.1.2').drops).to.deep.equal(['bad-host']);
  });

  it('the first occurrence of a TXT key wins (RFC 6763 §6.4)', () => {
    const t = parseTxt(['v=1', 'v=2', 'role=member', 'lobby=party', `tok=${host.token}`, 'members=2', 'pw=0', 'mode=mesh']);
    expect(t).to.not.be.a('string');
  });

  it('looks at no more than 64 records of a packet', () => {
    const many: packet.Answer[] = Array.from({ length: 500 }, (_, i) => ({ name: SERVICE_TYPE, type: 'PTR', ttl: 10, data: `x${i}.${SERVICE_TYPE}` }));
    expect(parseAdverts(wire([...many, ...advertRecords(host)]), '10.77.1.2').drops).to.deep.equal(['too-many-records']);
  });

  it('never throws on random records or a real advert with one record spoiled (2000 fuzzed packets); keeps only adverts that survive the wire, drops with a known reason', () => {
    const prng = new Prng(seedFromEnv(16));
    const kinds = ['TXT', 'SRV', 'A', 'AAAA', 'PTR', undefined, 7];
    const reasons = new Set(['bad-txt', 'bad-version', 'bad-lobby', 'bad-host', 'too-many-records']);
    const real = advertRecords(host);
    let accepted = 0;
    let dropped = 0;
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = prng.bytes(8);
      const rec = (k: number): unknown => ({
        name: [instanceName(host.token), SERVICE_TYPE, 42, null, 'mp-x.local'][b[k]! % 5],
        type: kinds[b[k + 1]! % kinds.length],
        ttl: [0, 10, -1, undefined][b[k + 2]! % 4],
        data: [['v=1', 'role=host'], 'x', { port: 'a' }, { port: 70000, target: 7 }, '1.2.3.4', null, [prng.bytes(300)], undefined][b[k + 3]! % 8],
      });
      // Even: hostile records only. Odd: the real host advert, one record replaced by a hostile
      // one, removed, or (one case in four) left as it is.
      const answers: unknown[] = i % 2 === 0 ? [rec(0), rec(4)] : [...real];
      if (i % 2 === 1 && b[5]! % 4 !== 0) answers.splice(b[6]! % answers.length, 1, ...(b[7]! % 2 === 0 ? [rec(0)] : []));
      const p = { answers, additionals: b[0]! % 2 === 0 ? undefined : [rec(1)] } as unknown as packet.Packet;
      let got: ReturnType<typeof parseAdverts> | undefined;
      expect(() => (got = parseAdverts(p, '10.77.1.9'))).to.not.throw();
      for (const d of got!.drops) expect(reasons.has(d), d).to.equal(true);
      dropped += got!.drops.length;
      for (const a of got!.adverts) {
        accepted++;
        // An accepted advert is one an agent could have sent: it goes through the DNS wire format
        // and comes back the same (checked once per distinct advert).
        const key = JSON.stringify(a);
        if (seen.has(key)) continue;
        seen.add(key);
        expect(parseAdverts(wire(advertRecords(a)), a.from).adverts).to.deep.equal([a]);
      }
    }
    expect(accepted).to.be.greaterThan(50);
    expect(dropped).to.be.greaterThan(50);
  });

  it('answers a PTR or ANY question for the service, or one for our own instance', () => {
    expect(asksForUs([{ name: SERVICE_TYPE, type: 'PTR' }], host.token)).to.equal(true);
    expect(asksForUs([{ name: '_MESHPUNCH._tcp.local', type: 'ANY' }], host.token)).to.equal(true);
    expect(asksForUs([{ name: instanceName(host.token), type: 'TXT' }], host.token)).to.equal(true);
    expect(asksForUs([{ name: '_http._tcp.local', type: 'PTR' }], host.token)).to.equal(false);
    expect(asksForUs([{ name: 7 }, null as never], host.token)).to.equal(false);
  });
});

describe('LAN lobby passwords', () => {
  it('a host proof checks only with the same password, nonce and endpoint', async () => {
    const k = await lanSecret('correct horse', 'party');
    const other = await lanSecret('battery staple', 'party');
    const otherLobby = await lanSecret('correct horse', 'party2');
    const proof = hostProof(k, 'n1', '10.77.1.2', 41000);
    expect(proofMatches(k, 'n1', '10.77.1.2', 41000, proof)).to.equal(true);
    expect(proofMatches(k, 'n2', '10.77.1.2', 41000, proof)).to.equal(false);
    // A rogue relaying our nonce to the real host gets a proof for the real host's endpoint.
    expect(proofMatches(k, 'n1', '10.77.1.66', 41000, proof)).to.equal(false);
    expect(proofMatches(k, 'n1', '10.77.1.2', 41001, proof)).to.equal(false);
    expect(proofMatches(other, 'n1', '10.77.1.2', 41000, proof)).to.equal(false);
    expect(proofMatches(otherLobby, 'n1', '10.77.1.2', 41000, proof)).to.equal(false);
    expect(proofMatches(k, 'n1', '10.77.1.2', 41000, 'short')).to.equal(false);
  });

  it('the service gets a join token, never the password', async () => {
    const k = await lanSecret('correct horse', 'party');
    const t = joinToken(k);
    expect(t).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(t).to.not.contain('correct');
    expect(joinToken(await lanSecret('correct horse', 'party'))).to.equal(t);
    expect(joinToken(await lanSecret('correct horsf', 'party'))).to.not.equal(t);
  });
});

describe('lobbies --lan summary', () => {
  it('one line per lobby: the best host, else the members heard', () => {
    const h = { ...host, from: '10.77.1.2' };
    const list = summarizeLobbies([
      h,
      { ...h, token: 'ffffffffffffffff', members: 1, address: '10.77.1.9', port: 5 },
      { ...h, role: 'member', token: '1111111111111111', lobby: 'beta', password: false, port: undefined, address: undefined, proofPort: undefined },
      { ...h, role: 'member', token: '2222222222222222', lobby: 'beta', password: false, port: undefined, address: undefined, proofPort: undefined },
    ]);
    expect(list).to.deep.equal([
      { name: 'beta', host: null, members: 2, password: false, mode: 'mesh', hosts: 0 },
      { name: 'party', host: '10.77.1.2:41000', members: 3, password: true, mode: 'mesh', hosts: 2 },
    ]);
  });
});

describe('CLI flags for the LAN', () => {
  it('join --lan needs no --signal and excludes what a LAN does not use', () => {
    const c = parseCommand(['join', '--lan', '--lobby', 'party', '--wait-peers', '4']);
    expect(c.kind === 'join' && c.flags.lan && c.flags.signals.length === 0).to.equal(true);
    for (const extra of [['--signal', 'ws://a:1'], ['--create'], ['--create-if-missing'], ['--stun', '1.2.3.4:3478'], ['--upnp']]) {
      expect(() => parseCommand(['join', '--lan', '--lobby', 'party', ...extra]), extra.join(' ')).to.throw(/--lan excludes/);
    }
    // Found by name: a lobby code is not a LAN lobby.
    expect(() => parseCommand(['join', '--lan', '--lobby', 'ABCD-1234'])).to.throw(/--lobby with --lan/);
    expect(() => parseCommand(['join', '--lobby', 'party'])).to.throw(/--signal ws:\/\/HOST:PORT \(or --lan\) is required/);
  });

  it('lobbies needs --lan', () => {
    expect(parseCommand(['lobbies', '--lan', '--json'])).to.deep.equal({ kind: 'lobbies', flags: { lan: true, bind: '0.0.0.0', json: true, timeoutS: 1.5 } });
    expect(() => parseCommand(['lobbies'])).to.throw(/--lan is required/);
    expect(() => parseCommand(['lobbies', '--lan', '--timeout', '61'])).to.throw(/at most 60/);
  });
});
