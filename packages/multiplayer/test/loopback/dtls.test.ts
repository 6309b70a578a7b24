// ENetMultiplayerPeer over DTLS hosts (Godot 4: `peer.host.dtls_server_setup(...)` right after
// create_server, `peer.host.dtls_client_setup(...)` right after create_client): ids, every
// transfer mode both ways, and a client with the wrong trust refused (never connects).
import { expect } from 'chai';
import { generateIdentity, type GeneratedIdentity } from '@meshpunch/dtls';
import { TLSOptions, type ENetConnection } from '@meshpunch/enet';
import { ConnectionStatus, ENetMultiplayerPeer, TransferMode } from '../../src/index.js';
import { pump, pumpFor } from './pump.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('ENetMultiplayerPeer over DTLS (loopback)', function () {
  this.timeout(20_000);
  let id: GeneratedIdentity;
  const peers: ENetMultiplayerPeer[] = [];
  before(() => {
    id = generateIdentity({ commonName: 'game.example' });
  });
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });

  async function server(): Promise<{ srv: ENetMultiplayerPeer; port: number }> {
    const srv = new ENetMultiplayerPeer();
    peers.push(srv);
    srv.setBindIp('127.0.0.1');
    await srv.createServer(0, 4);
    const host = srv.host as ENetConnection;
    host.dtlsServerSetup(TLSOptions.server(id.identity));
    return { srv, port: host.getLocalPort() };
  }

  async function client(port: number, options: TLSOptions): Promise<ENetMultiplayerPeer> {
    const c = new ENetMultiplayerPeer();
    peers.push(c);
    await c.createClient('127.0.0.1', port);
    // Godot's order: the CONNECT is queued by create_client and leaves on the next service.
    (c.host as ENetConnection).dtlsClientSetup('game.example', options);
    return c;
  }

  it('connects a client, assigns ids and carries every transfer mode both ways', async () => {
    const { srv, port } = await server();
    const joined: number[] = [];
    srv.on('peerConnected', (p) => joined.push(p));
    const c = await client(port, TLSOptions.client(id.certificatePem));
    await pump([srv, c], () => c.getConnectionStatus() === ConnectionStatus.CONNECTION_CONNECTED && joined.length === 1, 'the client to connect', 10_000);
    const cid = c.getUniqueId();
    expect(joined).to.deep.equal([cid]);
    for (const mode of [TransferMode.TRANSFER_MODE_RELIABLE, TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED, TransferMode.TRANSFER_MODE_UNRELIABLE]) {
      c.transferMode = mode;
      c.setTargetPeer(1);
      c.putPacket(enc(`up ${mode}`));
      srv.transferMode = mode;
      srv.setTargetPeer(cid);
      srv.putPacket(enc(`down ${mode}`));
    }
    const got: string[] = [];
    await pump([srv, c], () => {
      for (const p of [srv, c]) while (p.getAvailablePacketCount() > 0) got.push(`${p === srv ? 'S' : 'C'}:${p.getPacketPeer()}:${dec(p.getPacket())}`);
      return got.length === 6;
    }, 'six packets', 10_000);
    expect(got.sort()).to.deep.equal([
      `C:1:down 0`, `C:1:down 1`, `C:1:down 2`, `S:${cid}:up 0`, `S:${cid}:up 1`, `S:${cid}:up 2`,
    ]);
  });

  it('a client trusting another certificate never connects', async () => {
    const { srv, port } = await server();
    const other = generateIdentity({ commonName: 'game.example' });
    const c = await client(port, TLSOptions.client(other.certificatePem));
    await pumpFor([srv, c], 600);
    expect(c.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_CONNECTING);
  });
});
