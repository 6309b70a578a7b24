// Real-engine check: Debian's headless Godot 3.2.3 (`godot3-server`) runs a GDScript
// NetworkedMultiplayerENet peer (project/peer.gd) against our ENetMultiplayerPeer, as server and
// as client, with compression NONE and RANGE_CODER. Godot 3's data packets carry an 8-byte
// header and use other channels than Godot 4 (godot3-framing.ts); everything below the
// multiplayer layer — ENet, the id in CONNECT data, fragments, the range coder — must match.
import { expect } from 'chai';
import { Command } from '@meshpunch/enet';
import { ConnectionStatus, TransferMode } from '@meshpunch/multiplayer';
import { configMessage, digest, frame, pattern, putGodot3Packet, SYSMSG_ADD_PEER, SYSMSG_REMOVE_PEER, unframe } from './godot3-framing.js';
import { freeUdpPort, Godot3Peer, LINE_TIMEOUT_MS, requireGodot3, type Godot3PeerOptions } from './godot3-process.js';
import { OurSide, until, type Received } from './our-side.js';

const { TRANSFER_MODE_RELIABLE: RELIABLE, TRANSFER_MODE_UNRELIABLE_ORDERED: ORDERED, TRANSFER_MODE_UNRELIABLE: UNRELIABLE } = TransferMode;
const MODE_NAME: Record<number, string> = { [RELIABLE]: 'RELIABLE', [ORDERED]: 'UNRELIABLE_ORDERED', [UNRELIABLE]: 'UNRELIABLE' };
/** One packet per mode and size: within one datagram, 4 KB (a few fragments), 100 KB (~75). */
const CASES = [5, 4096, 102_400].flatMap((size) => [RELIABLE, ORDERED, UNRELIABLE].map((mode) => ({ mode, size })));
/** Packets in each direction of the ordering check. */
const ORDERED_COUNT = 60;
/**
 * Sends of one unreliable packet before the test gives up. ENet may drop an unreliable packet on
 * purpose (its throttle) or a datagram may be lost in a full socket buffer on a loaded machine;
 * the check is what arrives, so an unanswered one is sent again, each after this wait (ms).
 */
const UNRELIABLE_TRIES = 4;
const UNRELIABLE_RETRY_MS = 4000;
/** Godot 3's NetworkedMultiplayerENet.CompressionMode values peer.gd reports. */
const GODOT_COMPRESSION: Record<Godot3PeerOptions['compression'], number> = { none: 0, range_coder: 1 };

describe('Godot 3.2 NetworkedMultiplayerENet (godot3-server) ↔ our ENetMultiplayerPeer', function () {
  // Each test starts one or two engines and waits on their lines with generous bounds (a loaded
  // CI machine); mocha's limit stays above those bounds so a failure names what it waited for.
  this.timeout(180_000);
  const godots: Godot3Peer[] = [];
  const ours: OurSide[] = [];

  before(function () {
    requireGodot3(this);
  });
  afterEach(async () => {
    for (const o of ours.splice(0)) o.peer.close();
    for (const g of godots.splice(0)) await g.stop();
  });

  /** Starts peer.gd as a server on a free loopback port (again on another, if that one was taken). */
  async function godotServer(compression: Godot3PeerOptions['compression'], channels = 3): Promise<{ godot: Godot3Peer; port: number }> {
    for (let attempt = 1; ; attempt++) {
      const godot = new Godot3Peer({ role: 'server', port: await freeUdpPort(), compression, channels });
      godots.push(godot);
      try {
        const ready = await godot.ready();
        expect([ready.uniqueId, ready.compressionMode, ready.channelCount]).to.deep.equal([1, GODOT_COMPRESSION[compression], channels]);
        return { godot, port: ready.port };
      } catch (err) {
        if (attempt >= 3 || !godot.lines.some((l) => l.startsWith('error create'))) throw err;
      }
    }
  }

  async function godotClient(port: number, compression: Godot3PeerOptions['compression']): Promise<{ godot: Godot3Peer; id: number }> {
    const godot = new Godot3Peer({ role: 'client', port, compression });
    godots.push(godot);
    const ready = await godot.ready();
    expect([ready.compressionMode, ready.channelCount]).to.deep.equal([GODOT_COMPRESSION[compression], 3]);
    expect(ready.uniqueId).to.be.within(2, 2 ** 31 - 1);
    return { godot, id: ready.uniqueId };
  }

  function ourSide(): OurSide {
    const o = new OurSide();
    ours.push(o);
    return o;
  }

  /** A command to peer.gd: framed, reliable, so commands arrive in the order they were sent. */
  function command(our: OurSide, target: number, text: string): void {
    putGodot3Packet(our.peer, target, RELIABLE, Buffer.from(text));
  }

  /**
   * Every mode and size our → Godot (Godot reports channel, size and digest, then echoes the
   * payload reliably) and Godot → our (on command), then ORDERED_COUNT reliable packets each way.
   */
  async function exchange(our: OurSide, godot: Godot3Peer, ourId: number, godotId: number, godotAs: number): Promise<void> {
    let salt = 1;
    for (const { mode, size } of CASES) {
      const what = `our ${MODE_NAME[mode]} ${size} B → Godot`;
      const payload = pattern(size, salt++);
      const recv = new RegExp(`^recv (\\d+) (\\d+) ${size} ${digest(payload)}$`);
      const tries = mode === RELIABLE ? 1 : UNRELIABLE_TRIES;
      let echo: Received | undefined;
      let enetChannel = -1;
      for (let t = 1; t <= tries && echo === undefined; t++) {
        const from = godot.lines.length;
        enetChannel = putGodot3Packet(our.peer, godotAs, mode, payload);
        const last = t === tries;
        const seen = await godot.waitFor(recv, from, last ? LINE_TIMEOUT_MS : UNRELIABLE_RETRY_MS).catch((err: unknown) => {
          if (last) throw err;
          return undefined;
        });
        if (seen === undefined) continue;
        // Godot 3 reports the header's source (checked against the ENet peer's id on a server) and
        // the ENet channel as it arrived.
        expect([Number(seen[1]), Number(seen[2])], what).to.deep.equal([ourId, enetChannel]);
        echo = await our.take(payload);
      }
      expect(echo, `echo of ${what}`).to.not.equal(undefined);
      // Godot 3 echoes with TRANSFER_MODE_RELIABLE on SYSCH_RELIABLE (ENet channel 1): our
      // transfer channel 0 (Godot 4 maps ENet channel 1 back to 0), mode from the reliable flag.
      expect([echo!.from, echo!.channel, echo!.mode], `echo of ${what}`).to.deep.equal([godotAs, 0, RELIABLE]);
      const header = unframe(echo!.data);
      expect([header.source, header.target], `echo header of ${what}`).to.deep.equal([godotId, ourId]);
    }

    for (const { mode, size } of CASES) {
      const what = `Godot ${MODE_NAME[mode]} ${size} B → our`;
      const s = salt++;
      const payload = pattern(size, s);
      const tries = mode === RELIABLE ? 1 : UNRELIABLE_TRIES;
      let got: Received | undefined;
      for (let t = 1; t <= tries && got === undefined; t++) {
        const from = godot.lines.length;
        command(our, godotAs, `cmd send ${mode} -1 ${size} ${s}`);
        await godot.waitFor(new RegExp(`^sent ${mode} -1 ${size} ${digest(payload)}$`), from);
        got = await our.take(payload, t === tries ? LINE_TIMEOUT_MS : UNRELIABLE_RETRY_MS);
      }
      expect(got, what).to.not.equal(undefined);
      // Godot 3 sends RELIABLE on ENet channel 1 (our transfer channel 0), both unreliable modes
      // on channel 2 (our 1). It never sets UNRELIABLE_FRAGMENT, so ENet sends an unreliable
      // packet larger than one datagram as reliable fragments: it arrives RELIABLE.
      const fragmented = size > 1000;
      const expectedMode = mode === RELIABLE || fragmented ? RELIABLE : mode;
      expect([got!.from, got!.channel, got!.mode], what).to.deep.equal([godotAs, mode === RELIABLE ? 0 : 1, expectedMode]);
      const header = unframe(got!.data);
      expect([header.source, header.target], `header of ${what}`).to.deep.equal([godotId, ourId]);
    }

    // Reliable order, our → Godot: the recv lines come in the order we sent.
    const start = godot.lines.length;
    const ours = Array.from({ length: ORDERED_COUNT }, (_, i) => pattern(300, 1000 + i));
    for (const p of ours) putGodot3Packet(our.peer, godotAs, RELIABLE, p);
    await godot.waitFor(new RegExp(`^recv \\d+ \\d+ 300 ${digest(ours[ORDERED_COUNT - 1]!)}$`), start);
    const seen = godot.lines.slice(start).filter((l) => l.startsWith('recv ')).map((l) => l.split(' ')[4]);
    expect(seen).to.deep.equal(ours.map(digest));
    // Drain the echoes, in order too.
    for (const p of ours) expect(await our.take(p), 'echo of an ordered packet').to.not.equal(undefined);

    // Reliable order, Godot → our: Godot sends as it reads our commands, in order.
    our.received.length = 0;
    const theirs = Array.from({ length: ORDERED_COUNT }, (_, i) => pattern(300, 2000 + i));
    for (let i = 0; i < ORDERED_COUNT; i++) command(our, godotAs, `cmd send ${RELIABLE} -1 300 ${2000 + i}`);
    // Only these packets count: a late copy of an unreliable packet sent twice above may still come.
    const wanted = new Set(theirs.map(digest));
    const burst = () => our.received.filter((r) => wanted.has(r.digest));
    await until(() => burst().length >= ORDERED_COUNT, `${ORDERED_COUNT} reliable packets from Godot`);
    expect(burst().map((r) => r.digest)).to.deep.equal(theirs.map(digest));
    our.received.length = 0;
  }

  function expectCompression(our: OurSide, compression: Godot3PeerOptions['compression']): void {
    if (compression === 'range_coder') {
      // Both engines compressed some datagrams, and each decoded the other's (the payloads above
      // arrived intact): libenet's range coder on Godot's side, ours on this side.
      expect(our.compressedIn, 'compressed datagrams from Godot').to.be.greaterThan(0);
      expect(our.compressedOut, 'compressed datagrams to Godot').to.be.greaterThan(0);
    } else {
      expect([our.compressedIn, our.compressedOut], 'compressed datagrams in, out').to.deep.equal([0, 0]);
    }
    expect(our.peer.host?.statistics?.droppedDecompress ?? 0, 'datagrams we failed to decompress').to.equal(0);
  }

  for (const compression of ['none', 'range_coder'] as const) {
    describe(`compression ${compression}`, function () {
      it('Godot 3 server ↔ our client: ids, every mode and size both ways, reliable order, Godot disconnects us', async () => {
        const { godot, port } = await godotServer(compression);
        const our = ourSide();
        await our.peer.createClient('127.0.0.1', port);
        our.instrument(compression);
        const ourId = our.peer.getUniqueId();
        // Our id travels in the CONNECT data, as Godot 4's; Godot 3's server takes it as the peer id.
        await godot.waitFor(new RegExp(`^peer_connected ${ourId}$`));
        await until(() => our.peer.getConnectionStatus() === ConnectionStatus.CONNECTION_CONNECTED, 'our client CONNECTED');
        expect(our.events).to.deep.equal(['+1']);
        expect(our.peer.getPeer(1).getChannels(), 'channels negotiated with a Godot 3 server').to.equal(3);

        await exchange(our, godot, ourId, 1, 1);
        expectCompression(our, compression);

        // Godot's disconnect_peer(id): ENet's graceful disconnect; each side reports it once.
        const from = godot.lines.length;
        command(our, 1, 'cmd disconnect');
        await godot.waitFor(new RegExp(`^peer_disconnected ${ourId}$`), from);
        await until(() => our.peer.getConnectionStatus() === ConnectionStatus.CONNECTION_DISCONNECTED, 'our client DISCONNECTED');
        expect(our.events).to.deep.equal(['+1', '-1']);
        expect(godot.lines.slice(from).filter((l) => /^(peer_|connection_|server_)/.test(l))).to.deep.equal([`peer_disconnected ${ourId}`]);
        // Uncompressed, the handshake and the DISCONNECT (data 0, as Godot 4's) can be read.
        if (compression === 'none') {
          expect(our.wire).to.deep.equal([{ command: Command.VerifyConnect, channelCount: 3 }, { command: Command.Disconnect, data: 0 }]);
        }
      });

      it('our server ↔ Godot 3 client: ids, every mode and size both ways, reliable order, we disconnect it', async () => {
        const our = ourSide();
        await our.peer.createServer(0);
        our.instrument(compression);
        const port = our.peer.host!.getLocalPort();
        const { godot, id } = await godotClient(port, compression);
        // Godot 3's client id arrives in the CONNECT data; its client names the server 1.
        await godot.waitFor(/^connection_succeeded$/);
        expect(godot.lines.filter((l) => /^(peer_|connection_|server_)/.test(l))).to.deep.equal(['peer_connected 1', 'connection_succeeded']);
        await until(() => our.events.length > 0, 'peerConnected on our server');
        expect(our.events).to.deep.equal([`+${id}`]);
        expect(our.peer.getPeer(id).getChannels(), 'channels a Godot 3 client asks for').to.equal(3);

        await exchange(our, godot, 1, id, id);
        expectCompression(our, compression);

        // Our graceful disconnect_peer: Godot 3's client emits server_disconnected (not
        // peer_disconnected(1), which Godot 4 emits) and closes.
        const from = godot.lines.length;
        our.peer.disconnectPeer(id);
        await godot.waitFor(/^server_disconnected$/, from);
        await until(() => our.events.length === 2, 'peerDisconnected on our server');
        expect(our.events).to.deep.equal([`+${id}`, `-${id}`]);
        expect(godot.lines.slice(from).filter((l) => /^(peer_|connection_|server_)/.test(l))).to.deep.equal(['server_disconnected']);
      });
    });
  }

  it('our client disconnecting from a Godot 3 server: peerDisconnected(1) here, peer_disconnected there', async () => {
    const { godot, port } = await godotServer('none');
    const our = ourSide();
    await our.peer.createClient('127.0.0.1', port);
    our.instrument('none');
    const ourId = our.peer.getUniqueId();
    await godot.waitFor(new RegExp(`^peer_connected ${ourId}$`));
    await until(() => our.events.length === 1, 'our peerConnected(1)');
    our.peer.disconnectPeer(1);
    await godot.waitFor(new RegExp(`^peer_disconnected ${ourId}$`));
    await until(() => our.events.length === 2, 'our peerDisconnected(1)');
    expect(our.events).to.deep.equal(['+1', '-1']);
    expect(our.peer.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
  });

  it('a Godot 3 client closing its connection: peerDisconnected(id) on our server', async () => {
    const our = ourSide();
    await our.peer.createServer(0);
    our.instrument('none');
    const { godot, id } = await godotClient(our.peer.host!.getLocalPort(), 'none');
    await godot.waitFor(/^connection_succeeded$/);
    await until(() => our.events.length === 1, 'peerConnected on our server');
    // close_connection() sends ENet's disconnect_now; Godot 3 puts its own id in the data.
    command(our, id, 'cmd disconnect');
    await godot.waitFor(/^closed$/);
    await until(() => our.events.length === 2, 'peerDisconnected on our server');
    expect(our.events).to.deep.equal([`+${id}`, `-${id}`]);
    // Its CONNECT asks for 3 channels with its id as data; its DISCONNECT carries its own id
    // too (Godot 4's close() sends 0).
    expect(our.wire).to.deep.equal([{ command: Command.Connect, channelCount: 3, data: id }, { command: Command.Disconnect, data: id }]);
  });

  it('custom channels: Godot 3 transfer_channel k is ENet channel k, our transfer channel k − 1, both ways', async () => {
    const { godot, port } = await godotServer('none', 6);
    const our = ourSide();
    await our.peer.createClient('127.0.0.1', port);
    our.instrument('none');
    const ourId = our.peer.getUniqueId();
    await godot.waitFor(new RegExp(`^peer_connected ${ourId}$`));
    await until(() => our.events.length === 1, 'our client connected');
    expect(our.peer.getPeer(1).getChannels()).to.equal(6);
    let salt = 500;
    for (const k of [3, 5]) {
      for (const mode of [RELIABLE, UNRELIABLE]) {
        // Godot → our: ENet channel k, our transfer channel k − 1; the mode from the flags.
        const s1 = salt++;
        const theirs = pattern(200, s1);
        let got: Received | undefined;
        for (let t = 1; t <= UNRELIABLE_TRIES && got === undefined; t++) {
          command(our, 1, `cmd send ${mode} ${k} 200 ${s1}`);
          got = await our.take(theirs, t === UNRELIABLE_TRIES ? LINE_TIMEOUT_MS : UNRELIABLE_RETRY_MS);
        }
        expect([got?.from, got?.channel, got?.mode], `Godot ${MODE_NAME[mode]} on transfer_channel ${k}`).to.deep.equal([1, k - 1, mode]);
        // our → Godot: transfer channel k − 1 is ENet channel k, which get_packet_channel reports.
        const s2 = salt++;
        const ours = pattern(200, s2);
        let seen: RegExpMatchArray | undefined;
        for (let t = 1; t <= UNRELIABLE_TRIES && seen === undefined; t++) {
          const from = godot.lines.length;
          our.peer.transferMode = mode;
          our.peer.transferChannel = k - 1;
          our.peer.setTargetPeer(1);
          our.peer.putPacket(frame(ourId, 1, ours));
          const last = t === UNRELIABLE_TRIES;
          seen = await godot.waitFor(new RegExp(`^recv ${ourId} (\\d+) 200 ${digest(ours)}$`), from, last ? LINE_TIMEOUT_MS : UNRELIABLE_RETRY_MS)
            .catch((err: unknown) => {
              if (last) throw err;
              return undefined;
            });
        }
        expect(Number(seen![1]), `our ${MODE_NAME[mode]} on transfer channel ${k - 1}`).to.equal(k);
      }
    }
  });

  it("Godot 4 conventions do not reach a Godot 3 game: header-less and forged packets are dropped, channel 0 is Godot 3's peer list", async () => {
    // Our client, Godot 4 style (reliable → ENet channel 0, no header), to a Godot 3 server:
    // Godot 3 takes channel 0 for config messages, which only a server may send, and drops it.
    const { godot, port } = await godotServer('none');
    const client = ourSide();
    await client.peer.createClient('127.0.0.1', port);
    client.instrument('none');
    await until(() => client.events.length === 1, 'our client connected');
    client.peer.transferMode = RELIABLE;
    client.peer.putPacket(pattern(100, 1));
    // Reliable on ENet channel 2 (a data channel for Godot 3) but shorter than its header: dropped.
    client.peer.transferChannel = 1;
    client.peer.putPacket(pattern(7, 2));
    // Framed, but with a source that is not our id: a Godot 3 server drops it as forged.
    client.peer.putPacket(frame(999, 1, pattern(100, 4)));
    // The framed packet after them is the first Godot 3 delivers.
    const from = godot.lines.length;
    putGodot3Packet(client.peer, 1, RELIABLE, pattern(100, 3));
    const m = await godot.waitFor(/^recv .*$/, from);
    expect(m[0]).to.equal(`recv ${client.peer.getUniqueId()} 2 100 ${digest(pattern(100, 3))}`);

    // Our server, Godot 4 style, to a Godot 3 client: the same 8 bytes on channel 0 read as
    // SYSMSG_ADD_PEER 12345, so the Godot 3 client reports a peer that does not exist.
    const server = ourSide();
    await server.peer.createServer(0);
    server.instrument('none');
    const c = await godotClient(server.peer.host!.getLocalPort(), 'none');
    await c.godot.waitFor(/^connection_succeeded$/);
    await until(() => server.events.length === 1, 'Godot client on our server');
    server.peer.transferMode = RELIABLE;
    server.peer.transferChannel = 0;
    server.peer.setTargetPeer(c.id);
    server.peer.putPacket(configMessage(SYSMSG_ADD_PEER, 12345));
    await c.godot.waitFor(/^peer_connected 12345$/);
  });

  it("a Godot 3 server relays between our clients and tells each about the others (config messages on channel 0, server_relay's default)", async () => {
    const { godot, port } = await godotServer('none');
    const a = ourSide();
    await a.peer.createClient('127.0.0.1', port);
    a.instrument('none');
    await godot.waitFor(new RegExp(`^peer_connected ${a.peer.getUniqueId()}$`));
    const b = ourSide();
    await b.peer.createClient('127.0.0.1', port);
    b.instrument('none');
    await godot.waitFor(new RegExp(`^peer_connected ${b.peer.getUniqueId()}$`));
    // Our clients take the config message for a reliable packet on transfer channel 0.
    await until(() => a.received.length > 0 && b.received.length > 0, 'config messages on both clients');
    const config = (r: Received) => [r.from, r.channel, r.mode, Buffer.from(r.data).toString('hex')];
    const add = (id: number) => Buffer.from(configMessage(SYSMSG_ADD_PEER, id)).toString('hex');
    const [aId, bId] = [a.peer.getUniqueId(), b.peer.getUniqueId()];
    expect(config(a.received.shift()!)).to.deep.equal([1, 0, RELIABLE, add(bId)]);
    expect(config(b.received.shift()!)).to.deep.equal([1, 0, RELIABLE, add(aId)]);

    // The server relays a packet whose header targets the other client; it arrives from the
    // server's ENet peer with the first client's id as its source.
    const payload = pattern(3000, 77);
    putGodot3Packet(a.peer, bId, RELIABLE, payload);
    const relayed = await b.take(payload);
    expect(relayed, 'the relayed packet').to.not.equal(undefined);
    const header = unframe(relayed!.data);
    expect([relayed!.from, header.source, header.target]).to.deep.equal([1, aId, bId]);

    // One leaves: the server tells the other with SYSMSG_REMOVE_PEER.
    b.peer.close();
    await godot.waitFor(new RegExp(`^peer_disconnected ${bId}$`));
    await until(() => a.received.length > 0, 'SYSMSG_REMOVE_PEER on the remaining client');
    expect(config(a.received.shift()!)).to.deep.equal([1, 0, RELIABLE, Buffer.from(configMessage(SYSMSG_REMOVE_PEER, bId)).toString('hex')]);
  });
});
