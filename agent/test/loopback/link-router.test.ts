// A link socket's sends from timers once its host is gone, and LinkRouter's relay path, on real
// loopback sockets: an ENet host's socket allocates on nat's embedded TurnRelayServer and a
// plain UDP peer sends to the relayed address. Traffic stays on 127.0.0.1.
import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { monotonicNow } from '@meshpunch/base';
import { ENetConnection } from '@meshpunch/enet';
import { TurnRelayServer, mintTurnRestCredential, nodeHmacSha1 } from '@meshpunch/nat';
import { createInterceptTransport } from '@meshpunch/nat/punch';
import { LinkRouter } from '../../src/adapter/link-router.js';
import { gatherLinkSocket } from '../../src/adapter/link-socket.js';

const SECRET = 'link-router-secret';

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((res, rej) => {
    s.once('error', rej);
    s.bind(0, '127.0.0.1', () => res());
  });
  return s;
}

async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; !pred(); waited += 10) {
    if (waited >= timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('link socket sends with the host gone, LinkRouter relay path (loopback)', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  /**
   * An embedded TURN relay on a loopback control socket (loopback peers allowed, private ones
   * refused) and a LinkRouter on a fresh ENet host; relay ports from `highBase` when the control
   * port is below 50 000, else from `lowBase`, so the two never meet.
   */
  async function relayAndRouter(lowBase: number, highBase: number): Promise<{ controlPort: number; router: LinkRouter; host: ENetConnection; relay: TurnRelayServer }> {
    const control = await bound();
    const controlPort = control.address().port;
    const low = controlPort >= 50_000 ? lowBase : highBase;
    const relay = new TurnRelayServer({
      secret: SECRET, relayAddress: '127.0.0.1', bindAddress: '127.0.0.1', allowLoopback: true,
      isMember: () => true, relayPorts: { min: low, max: low + 99 }, controlPort,
      send: (a, p, b) => control.send(b, p, a),
    });
    control.on('message', (m, r) => relay.handleControlDatagram(m, r));
    cleanup.push(() => control.close(), () => relay.close());
    const host = new ENetConnection();
    await host.createHostBound('127.0.0.1', 0, 1, 0, 0, 0);
    cleanup.push(() => host.destroy());
    const router = new LinkRouter(host, createInterceptTransport((address, port, bytes) => host.socketSend(address, port, bytes)));
    cleanup.push(() => router.detach(), () => router.close());
    return { controlPort, router, host, relay };
  }

  it('learns the socket\'s mapping from an allocation made for it alone (XOR-MAPPED-ADDRESS), deletes that allocation, and a later allocate from the same socket succeeds (issue 11: STUN that never answers)', async () => {
    const { controlPort, router, host, relay } = await relayAndRouter(43_000, 55_000);
    const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lob', 'a', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
    const access = { server: { address: '127.0.0.1', port: controlPort }, ...cred };
    const mapped = await router.mappedByRelay(access);
    expect(mapped).to.deep.equal({ address: '127.0.0.1', port: host.getLocalPort() });
    // Not the link's allocation: the relay punch never sends through it, and it goes at once.
    expect(router.turnClient).to.equal(undefined);
    await waitFor(() => relay.allocations === 0);
    const { relayed, mapped: again } = await router.allocate(access, ['127.0.0.1']);
    expect(relayed.address).to.equal('127.0.0.1');
    expect(again).to.deep.equal(mapped);
    expect(relay.allocations).to.equal(1);
  });

  it('asks no mapping while the link\'s own allocation exists (it carries the mapping already)', async () => {
    const { controlPort, router, relay } = await relayAndRouter(44_000, 56_000);
    const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lob', 'a', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
    const access = { server: { address: '127.0.0.1', port: controlPort }, ...cred };
    await router.allocate(access, []);
    expect(await router.mappedByRelay(access)).to.equal(undefined);
    expect(relay.allocations).to.equal(1);
  });

  it('a STUN retransmission from a timer after the link socket\'s host was destroyed is dropped, not thrown (ERR_UNCONFIGURED ended the agent)', async () => {
    // A STUN server that never answers: gathering retransmits from a timer (200 ms RTO, 3 requests).
    const silent = await bound();
    cleanup.push(() => silent.close());
    let asked = 0;
    silent.on('message', () => asked++);
    const uncaught: Error[] = [];
    const onUncaught = (err: Error): void => void uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    cleanup.push(() => process.off('uncaughtException', onUncaught));
    let host: ENetConnection | undefined;
    const gathering = gatherLinkSocket({ bindAddress: '127.0.0.1', stunServers: [{ address: '127.0.0.1', port: silent.address().port }], onBound: (h) => (host = h) });
    await waitFor(() => asked >= 1);
    // The link was released while gathering (its runner destroys the host it was handed).
    host!.destroy();
    const r = await gathering.then(() => 'gathered', (err: Error) => err.message);
    expect(uncaught.map((e) => e.message)).to.deep.equal([]);
    expect(r).to.be.a('string');
  });

  it('a UPnP mapping that never comes does not hold gathering: the socket gathers without a upnp candidate', async () => {
    const r = await gatherLinkSocket({ bindAddress: '127.0.0.1', stunServers: [], mapPort: () => new Promise<undefined>(() => undefined) });
    cleanup.push(() => r.host.destroy());
    expect(r.candidates.map((c) => c.kind)).to.deep.equal(['host']);
    expect(r.upnp).to.be.an.instanceOf(Promise);
  });

  it('gathering does not wait for the UPnP mapping: the candidates come at once, the upnp one when the router answers (trickled after them)', async () => {
    let answer: (ep: { address: string; port: number } | undefined) => void = () => undefined;
    let asked = 0;
    const r = await gatherLinkSocket({
      bindAddress: '127.0.0.1', stunServers: [],
      mapPort: (port) => {
        asked = port;
        return new Promise((resolve) => (answer = resolve));
      },
    });
    cleanup.push(() => r.host.destroy());
    // Gathered while the router has not answered yet.
    expect(asked).to.equal(r.host.getLocalPort());
    expect(r.candidates.map((c) => `${c.kind} ${c.address}:${c.port}`)).to.deep.equal([`host 127.0.0.1:${r.host.getLocalPort()}`]);
    answer({ address: '203.0.113.9', port: 40001 });
    const late = await r.upnp!;
    expect(late === undefined ? undefined : `${late.kind} ${late.address}:${late.port}`).to.equal('upnp 203.0.113.9:40001');
  });

  it('a refused UPnP mapping (the router failed) is no candidate, and no error', async () => {
    const r = await gatherLinkSocket({ bindAddress: '127.0.0.1', stunServers: [], mapPort: () => Promise.reject(new Error('SOAP fault 718')) });
    cleanup.push(() => r.host.destroy());
    expect(r.candidates.map((c) => c.kind)).to.deep.equal(['host']);
    expect(await r.upnp).to.equal(undefined);
  });

  it('peer data arriving while the allocation is no longer allocated counts a bind failure, and the datagram still goes on (the TURN client threw ERR_UNCONFIGURED synchronously out of the hook, which dropped the datagram)', async () => {
    const { controlPort, router, host } = await relayAndRouter(41_000, 53_000);
    const peer = await bound();
    cleanup.push(() => peer.close());

    const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lob', 'a', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
    const { relayed } = await router.allocate({ server: { address: '127.0.0.1', port: controlPort }, ...cred }, ['127.0.0.1']);
    // The allocation leaves 'allocated' (as while a Refresh 0 is in flight, or once it is lost)
    // before the peer's datagram comes out of the relay: the router asks for a channel to this
    // new peer address, which the TURN client refuses synchronously in that state.
    const turn = router.turnClient!;
    turn.core.close(monotonicNow());
    expect(turn.core.state).to.equal('closing');
    peer.send(Buffer.from('late datagram'), relayed.port, relayed.address);
    await waitFor(() => turn.core.counters.dataReceived === 1);
    expect(router.counters.bindFailures).to.equal(1);
    expect(host.interceptErrors).to.equal(0);
  });
  it('a permission the relay refuses (403: a private address) fails that address only: the allocation stands, the other address is permitted, a later one is asked, and each is asked once', async () => {
    // Loopback allowed, private networks not: 10.0.0.7 is refused as the natlab relay refuses a peer's LAN address.
    const { controlPort, router } = await relayAndRouter(42_000, 54_000);

    const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lob', 'a', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
    // Before the fix the refusal rejected allocate() (Promise.all) and the link failed relay-failed.
    const { relayed } = await router.allocate({ server: { address: '127.0.0.1', port: controlPort }, ...cred }, ['10.0.0.7', '127.0.0.1']);
    expect(relayed.address).to.equal('127.0.0.1');
    const turn = router.turnClient!;
    expect(turn.core.hasPermission('127.0.0.1')).to.equal(true);
    expect(turn.core.hasPermission('10.0.0.7')).to.equal(false);
    expect(router.counters.permissionsRefused).to.equal(1);
    // Asked again (a later candidate batch repeats it): not sent twice; a refusal names the address.
    expect(await router.permit(['10.0.0.7', '127.0.0.1'])).to.deep.equal([]);
    const refused = await router.permit(['192.168.5.5']);
    expect(refused.map((r) => r.ip)).to.deep.equal(['192.168.5.5']);
    expect(refused[0]!.detail).to.match(/403/);
    expect(router.counters.permissionsRefused).to.equal(2);
    expect(turn.core.state).to.equal('allocated');
  });
});
