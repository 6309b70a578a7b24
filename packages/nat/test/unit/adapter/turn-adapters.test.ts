// TurnSocketClient against TurnRelayServer on loopback (real node:dgram sockets, both ours).
import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { NatError, TurnRelayServer, TurnSocketClient, attachTurnClient, ipLiteralLookup, mintTurnRestCredential, nodeHmacSha1 } from '../../../src/index.js';

const SECRET = 'adapter-secret';

async function bound(port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.bind(port, '127.0.0.1', () => res());
  });
  return s;
}

async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; !pred(); waited += 10) {
    if (waited >= timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('TurnRelayServer', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function start(members: Set<string>) {
    const control = await bound();
    const port = control.address().port;
    const low = port >= 50_000 ? 41_000 : 53_000;
    const relay = new TurnRelayServer({
      secret: SECRET, relayAddress: '127.0.0.1', bindAddress: '127.0.0.1', allowLoopback: true,
      isMember: (m) => members.has(m), relayPorts: { min: low, max: low + 99 }, controlPort: port,
      send: (a, p, b) => control.send(b, p, a),
    });
    control.on('message', (m, r) => relay.handleControlDatagram(m, r));
    cleanup.push(() => control.close(), () => relay.close());
    return { relay, server: { address: '127.0.0.1', port } };
  }

  describe('constructor', () => {
    it('refuses a relay port range containing the control port', () => {
      expect(() => new TurnRelayServer({
        secret: 's', relayAddress: '127.0.0.1', isMember: () => true, send: () => {}, relayPorts: { min: 5000, max: 6000 }, controlPort: 5500,
      })).to.throw(NatError, 'relayPorts 5000-6000 must exclude the control port 5500');
    });
  });

  describe('data path', () => {
    it('relays both ways on real sockets: Data indications before the ChannelBind, ChannelData after, payloads intact', async () => {
      const { relay, server } = await start(new Set(['lob.a']));
      const sock = await bound();
      const peer = await bound();
      cleanup.push(() => sock.close(), () => peer.close());
      const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lob', 'a', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
      const client = attachTurnClient(sock, { server, ...cred });
      cleanup.push(() => client.detach(), () => client.stop());
      const { relayed } = await client.allocate();
      const peerAt = { address: '127.0.0.1', port: peer.address().port };
      await client.createPermission(peerAt.address);
      const toClient: string[] = [];
      const toPeer: string[] = [];
      client.on('data', (p, from) => toClient.push(`${Buffer.from(p).toString()}@${from.port}`));
      peer.on('message', (m, r) => toPeer.push(`${m.toString()}@${r.port}`));
      const big = 'x'.repeat(1200);
      peer.send('before-bind', relayed.port, '127.0.0.1');
      expect(client.send(peerAt, new TextEncoder().encode('send-indication'))).to.equal(true);
      await waitFor(() => toClient.length === 1 && toPeer.length === 1);
      await client.bindChannel(peerAt);
      peer.send(big, relayed.port, '127.0.0.1');
      client.send(peerAt, new TextEncoder().encode(big));
      await waitFor(() => toClient.length === 2 && toPeer.length === 2);
      expect(toClient).to.deep.equal([`before-bind@${peerAt.port}`, `${big}@${peerAt.port}`]);
      expect(toPeer).to.deep.equal([`send-indication@${relayed.port}`, `${big}@${relayed.port}`]);
      expect([relay.counters.datagrams, relay.sendErrors]).to.deep.equal([{ to_peer: 2, to_client: 2 }, 0]);
    });
  });

  describe('#revokeMember', () => {
    it('ends the member\'s allocation at once: the relayed socket is closed and its port can be bound again', async () => {
      const members = new Set(['lob.a']);
      const { relay, server } = await start(members);
      const sock = await bound();
      const peer = await bound();
      cleanup.push(() => sock.close(), () => peer.close());
      const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lob', 'a', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
      const client = attachTurnClient(sock, { server, ...cred });
      cleanup.push(() => client.detach());
      const { relayed } = await client.allocate();
      await client.bindChannel({ address: '127.0.0.1', port: peer.address().port });
      const got: string[] = [];
      client.on('data', (p) => got.push(Buffer.from(p).toString()));
      peer.send('one', relayed.port, '127.0.0.1');
      await waitFor(() => got.length === 1);
      expect([relay.allocations, relay.boundPorts]).to.deep.equal([1, [relayed.port]]);

      members.delete('lob.a');
      expect(relay.revokeMember('lob.a')).to.equal(1);
      expect([relay.allocations, relay.boundPorts, relay.counters.allocationsEnded.member_left]).to.deep.equal([0, [], 1]);
      await new Promise((res) => setTimeout(res, 50));
      const again = await bound(relayed.port);   // the port was really released
      again.close();
      // Its next request meets 401 (no longer a member): the client learns the allocation is gone.
      const closed = new Promise((res) => client.once('closed', res));
      void client.refresh().catch(() => undefined);
      expect(await closed).to.equal('refresh-failed');
    });
  });

  describe('#close', () => {
    it('ends every allocation as shutdown and closes every relayed socket', async () => {
      const { relay, server } = await start(new Set(['lob.a']));
      const sock = await bound();
      cleanup.push(() => sock.close());
      const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lob', 'a', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
      const client = attachTurnClient(sock, { server, ...cred });
      cleanup.push(() => client.detach(), () => client.stop());
      await client.allocate();
      expect(() => client.allocate()).to.throw(NatError, 'allocate() may be called once, the allocation is allocated');
      await relay.close();
      expect([relay.allocations, relay.boundPorts, relay.counters.allocationsEnded.shutdown]).to.deep.equal([0, [], 1]);
      expect(relay.handleControlDatagram(new Uint8Array(4), { address: '127.0.0.1', port: 1 })).to.equal(false);
    });
  });
});

describe('ipLiteralLookup', () => {
  it('answers an IP literal at once (no tick) and leaves names to dns.lookup', async () => {
    const got: unknown[] = [];
    ipLiteralLookup('203.0.113.7', 4, (err, address, family) => got.push([err, address, family]));
    ipLiteralLookup('::1', 6, (err, address, family) => got.push([err, address, family]));
    expect(got).to.deep.equal([[null, '203.0.113.7', 4], [null, '::1', 6]]);
    // localhost resolves from /etc/hosts (no query leaves the machine), later than the call.
    const name = new Promise<unknown>((res) => ipLiteralLookup('localhost', 4, (err, address, family) => res([err, address, family])));
    expect(got).to.have.length(2);
    expect(await name).to.deep.equal([null, '127.0.0.1', 4]);
  });
});

describe('TurnSocketClient', () => {
  describe('#intercept', () => {
    it('takes only datagrams from the server, whatever their first byte', () => {
      const sent: number[] = [];
      const c = new TurnSocketClient((_a, _p, b) => sent.push(b.length), { server: { address: '127.0.0.1', port: 3478 }, username: '1:a.b', password: 'p' });
      expect(c.intercept(Uint8Array.of(0x40, 0, 0, 0), { address: '127.0.0.1', port: 3479 })).to.equal(false);
      expect(c.intercept(Uint8Array.of(0x40, 0, 0, 0), { address: '127.0.0.1', port: 3478 })).to.equal(true);
      expect(c.core.counters.unboundChannel).to.equal(1);
      void c.close();
    });
  });
});
