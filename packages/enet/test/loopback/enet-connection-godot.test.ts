// ENetConnection's Godot behaviours beyond the happy path (godot-enet.md §5.3–5.5), on real
// loopback sockets: EVENT_ERROR on socket failure, one peer per connecting host, socketSend
// addresses. Traffic stays on 127.0.0.0/8.
import { expect } from 'chai';
import { createSocket, Socket } from 'node:dgram';
import { ENetConnection, ENetError, EventType, PeerState, type ENetEvent } from '../../src/index.js';
import { datagramsArrive, turnsUntil } from './support.js';

/**
 * 127.255.255.255 is lo's broadcast address (Linux local routing table): a socket without
 * SO_BROADCAST gets EACCES from sendmsg, so nothing leaves the host. A real, deterministic
 * send failure inside 127.0.0.0/8.
 */
const LOOPBACK_BROADCAST = '127.255.255.255';

/** The node:dgram socket under `host`, caught while it sends one raw datagram to `port`. */
function socketOf(host: ENetConnection, port: number): Socket {
  const send = Socket.prototype.send;
  let caught: Socket | undefined;
  Socket.prototype.send = function (this: Socket, ...args: unknown[]) {
    caught ??= this;
    return (send as (...a: unknown[]) => void).apply(this, args);
  } as typeof send;
  try {
    host.socketSend('127.0.0.1', port, Uint8Array.of(0));
  } finally {
    Socket.prototype.send = send;
  }
  if (caught === undefined) throw new Error('socketSend did not reach node:dgram');
  return caught;
}

async function rawListener(): Promise<{ sock: Socket; port: number; next: () => Promise<Buffer> }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const next = (): Promise<Buffer> => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no datagram within 2 s')), 2000);
    sock.once('message', (m) => {
      clearTimeout(t);
      resolve(m);
    });
  });
  return { sock, port: sock.address().port, next };
}

function expectSocketError(ev: ENetEvent, errno: string): void {
  expect(ev.type).to.equal(EventType.ERROR);
  expect(ev.peer).to.equal(undefined);
  expect(ev.error).to.be.instanceOf(ENetError);
  expect(ev.error!.code).to.equal('ENET_SOCKET_ERROR');
  expect(ev.error!.details.errno).to.equal(errno);
}

describe('ENetConnection Godot behaviours (loopback)', function () {
  this.timeout(10_000);
  const hosts: ENetConnection[] = [];
  async function host(bind = '127.0.0.1', maxPeers = 4): Promise<ENetConnection> {
    const h = new ENetConnection();
    await h.createHostBound(bind, 0, maxPeers, 2);
    hosts.push(h);
    return h;
  }
  afterEach(() => {
    for (const h of hosts.splice(0)) h.destroy();
  });

  describe('#service EVENT_ERROR (§5.4: ENet result < 0)', () => {
    it('returns one ERROR to a waiting service() when an ENet send fails, then NONE, and the host keeps working', async () => {
      const h = await host();
      h.connectToHost(LOOPBACK_BROADCAST, 9, 1, 0);
      const ev = await h.service(3000);
      expectSocketError(ev, 'EACCES');
      expect(ev.error!.message).to.equal("the host's UDP socket failed (EACCES)");
      expect((ev.error!.cause as NodeJS.ErrnoException).code).to.equal('EACCES');
      expect(h.sendErrors).to.be.at.least(1);
      // Reported once: the next call has nothing to report.
      expect(h.serviceSync().type).to.equal(EventType.NONE);
      const listener = await rawListener();
      try {
        const got = listener.next();
        h.socketSend('127.0.0.1', listener.port, Uint8Array.of(7, 7));
        expect([...(await got)]).to.deep.equal([7, 7]);
      } finally {
        listener.sock.close();
      }
    });

    it('emits the ERROR as "error" in autoService mode, and drops it without a listener instead of throwing', async () => {
      const heard = await host();
      heard.autoService = true;
      const got = new Promise<ENetEvent>((r) => heard.once('error', r));
      heard.connectToHost(LOOPBACK_BROADCAST, 9, 1, 0);
      expectSocketError(await got, 'EACCES');

      const unheard = await host();
      unheard.autoService = true;
      unheard.connectToHost(LOOPBACK_BROADCAST, 9, 1, 0);
      await turnsUntil(() => unheard.sendErrors > 0, 'the failed send is counted');
      expect(unheard.sendErrors).to.be.at.least(1);
      expect(unheard.serviceSync().type).to.equal(EventType.NONE);
    });

    it('returns ERROR on every call once the socket closed underneath, until destroy(); the object then works again', async () => {
      const h = await host();
      const listener = await rawListener();
      try {
        const sock = socketOf(h, listener.port);
        const waiting = h.service(5000);
        sock.close();
        const ev = await waiting;
        expectSocketError(ev, 'closed');
        expect(ev.error!.message).to.equal("the host's UDP socket closed underneath; destroy() the host and create a new one");
        expectSocketError(h.serviceSync(), 'closed');
        expectSocketError(await h.service(1000), 'closed');
        expect(() => h.getLocalPort()).to.throw(ENetError).with.property('code', 'ERR_UNCONFIGURED');
        const before = h.sendErrors;
        h.socketSend('127.0.0.1', listener.port, Uint8Array.of(1));
        expect(h.sendErrors).to.equal(before + 1);
        h.destroy();
        await h.createHostBound('127.0.0.1', 0);
        expect(h.serviceSync().type).to.equal(EventType.NONE);
        expect(h.getLocalPort()).to.be.within(1, 65535);
      } finally {
        listener.sock.close();
      }
    });
  });

  describe('#connectToHost on a host that has a peer (§5.3)', () => {
    it('throws ERR_ALREADY_IN_USE while the first peer is active and connects again after it is reset', async () => {
      const server = await host();
      const client = await host('127.0.0.1', 4);
      const first = client.connectToHost('127.0.0.1', server.getLocalPort(), 1, 1);
      expect(first.getState()).to.equal(PeerState.CONNECTING);
      let err: unknown;
      try {
        client.connectToHost('127.0.0.1', server.getLocalPort(), 1, 2);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ENetError);
      expect(err).to.include({
        code: 'ERR_ALREADY_IN_USE',
        message: 'connectToHost needs a host without peers (Godot: "already connected to a peer"), this one has 1',
      });
      expect((err as ENetError).details).to.deep.equal({ peers: 1 });
      expect(client.getPeers()).to.deep.equal([first]);
      first.reset();
      const second = client.connectToHost('127.0.0.1', server.getLocalPort(), 1, 3);
      expect(second.getState()).to.equal(PeerState.CONNECTING);
    });

    it('refuses on a host whose peer came in (a server with a client)', async () => {
      const server = await host();
      const client = await host();
      client.connectToHost('127.0.0.1', server.getLocalPort(), 1, 9);
      let connected: ENetEvent | undefined;
      for (let i = 0; i < 400 && connected === undefined; i++) {
        const ev = await server.service(5);
        if (ev.type === EventType.CONNECT) connected = ev;
        client.serviceSync();
      }
      expect(connected?.data).to.equal(9);
      expect(() => server.connectToHost('127.0.0.1', client.getLocalPort(), 1, 0)).to.throw(ENetError).with.property('code', 'ERR_ALREADY_IN_USE');
    });

    it('still throws ERR_CANT_CREATE when an incoming connection holds the last slot before it was serviced', async () => {
      const server = await host('127.0.0.1', 1);
      const client = await host();
      const arrived = datagramsArrive(server, 1);
      client.connectToHost('127.0.0.1', server.getLocalPort(), 1, 5);
      // The CONNECT reaches the core on arrival; its event waits for service(), so no wrapper yet.
      await arrived;
      expect(server.statistics!.totalReceivedPackets).to.equal(1);
      expect(server.getPeers()).to.deep.equal([]);
      expect(() => server.connectToHost('127.0.0.1', client.getLocalPort(), 1, 0)).to.throw(ENetError)
        .that.includes({ code: 'ERR_CANT_CREATE', message: 'no free peer slot: all 1 are in use' });
    });
  });

  describe('#socketSend addresses (§5.5)', () => {
    it('sends to "localhost" in the socket\'s family, as connectToHost does', async () => {
      const h = await host();
      const listener = await rawListener();
      try {
        const got = listener.next();
        h.socketSend('localhost', listener.port, Uint8Array.of(1, 2, 3));
        expect([...(await got)]).to.deep.equal([1, 2, 3]);
        const got2 = listener.next();
        const bytes = Uint8Array.of(4, 5);
        const sent = h.socketSendAsync('localhost', listener.port, bytes);
        bytes[0] = 9; // socketSendAsync copied the bytes before awaiting
        await sent;
        expect([...(await got2)]).to.deep.equal([4, 5]);
      } finally {
        listener.sock.close();
      }
    });

    it('throws ERR_CANT_RESOLVE for a host name, pointing at socketSendAsync', async () => {
      const h = await host();
      expect(() => h.socketSend('stun.example', 3478, Uint8Array.of(1))).to.throw(ENetError)
        .that.includes({ code: 'ERR_CANT_RESOLVE', message: 'socketSend takes an IP address, got "stun.example"; use socketSendAsync for host names' });
      expect(() => h.socketSend('127.0.0.1', 0, Uint8Array.of(1))).to.throw(ENetError).with.property('code', 'ERR_INVALID_PARAMETER');
    });

    it('rejects socketSendAsync before any lookup when the host is missing or the port is bad', async () => {
      const none = new ENetConnection();
      const err = await none.socketSendAsync('localhost', 9, Uint8Array.of(1)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ENetError).with.property('code', 'ERR_UNCONFIGURED');
      const h = await host();
      const bad = await h.socketSendAsync('127.0.0.1', 70000, Uint8Array.of(1)).catch((e: unknown) => e);
      expect(bad).to.be.instanceOf(ENetError).with.property('message', 'port must be an integer 1..65535, got 70000');
    });
  });
});
