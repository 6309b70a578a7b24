// A real ENet host error (EventType.ERROR from a failed socket send) through ENetMultiplayerPeer,
// in poll() and in autoPoll mode: Godot closes a client without signals (godot-enet.md §2.6).
// The failing destination is lo's broadcast address 127.255.255.255: sendmsg refuses it with
// EACCES (no SO_BROADCAST), so nothing leaves the host.
import { expect } from 'chai';
import { ConnectionStatus, ENetMultiplayerPeer } from '../../src/index.js';
import { pump, recordEvents } from './pump.js';

describe('ENetMultiplayerPeer host errors (loopback)', function () {
  let peer: ENetMultiplayerPeer | undefined;
  afterEach(() => {
    peer?.close();
    peer = undefined;
  });

  it('closes a client without signals when its host reports ERROR (poll)', async () => {
    peer = new ENetMultiplayerPeer();
    peer.setBindIp('127.0.0.1');
    const log = recordEvents(peer);
    await peer.createClient('127.255.255.255', 9);
    expect(peer.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_CONNECTING);
    const p = peer;
    await pump([p], () => p.getConnectionStatus() === ConnectionStatus.CONNECTION_DISCONNECTED, 'client closed by the host error', 3000);
    expect(log).to.deep.equal([]);
  });

  it('closes a client without signals when its host emits ERROR (autoPoll)', async () => {
    peer = new ENetMultiplayerPeer();
    peer.setBindIp('127.0.0.1');
    const log = recordEvents(peer);
    await peer.createClient('127.255.255.255', 9);
    peer.autoPoll = true;
    const p = peer;
    for (let i = 0; i < 600 && p.getConnectionStatus() !== ConnectionStatus.CONNECTION_DISCONNECTED; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(p.getConnectionStatus()).to.equal(ConnectionStatus.CONNECTION_DISCONNECTED);
    expect(log).to.deep.equal([]);
  });
});
