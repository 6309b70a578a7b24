// Our side of a Godot 3 interop test: an ENetMultiplayerPeer that records what it receives
// (with the digest peer.gd prints), its events, the compressed datagrams each way and the ENet
// handshake and disconnect commands Godot sends (test/interop/godot3).
import { Command, CompressionMode, decodeDatagram } from '@meshpunch/enet';
import { ENetMultiplayerPeer, type TransferMode } from '@meshpunch/multiplayer';
import { steadyThrottle } from '../support/steady-throttle.js';
import { digest } from './godot3-framing.js';
import { LINE_TIMEOUT_MS } from './godot3-process.js';

/** Bit 14 of an ENet datagram's first u16 (big-endian): the payload is compressed. */
const COMPRESSED_BIT = 0x40;

/** A handshake or disconnect command Godot sent, as decoded from an uncompressed datagram. */
export interface WireFact {
  command: number;
  channelCount?: number;
  data?: number;
}

/** One packet our peer received. */
export interface Received {
  data: Uint8Array;
  /** digest() of the payload after Godot 3's header ('' when shorter than one). */
  digest: string;
  from: number;
  channel: number;
  mode: TransferMode;
}

/** Our side of one test: the peer, what it received and events, and compressed-datagram counts. */
export class OurSide {
  readonly peer = new ENetMultiplayerPeer();
  readonly received: Received[] = [];
  readonly events: string[] = [];
  compressedIn = 0;
  compressedOut = 0;
  /** CONNECT, VERIFY_CONNECT and DISCONNECT commands from Godot, in arrival order. */
  readonly wire: WireFact[] = [];

  constructor() {
    this.peer.on('packet', (data, from, channel, mode) => {
      this.received.push({ data, digest: data.length >= 8 ? digest(data.subarray(8)) : '', from, channel, mode });
    });
    this.peer.on('peerConnected', (id) => {
      this.events.push(`+${id}`);
      // The throttle at its limit on both ends (libenet's too): see steady-throttle.ts.
      if (this.peer.host !== null) steadyThrottle(this.peer.getPeer(id));
    });
    this.peer.on('peerDisconnected', (id) => this.events.push(`-${id}`));
  }

  /** After create*: compression as Godot's, and counters of compressed datagrams each way. */
  instrument(compression: 'none' | 'range_coder'): void {
    const host = this.peer.host!;
    host.compress(compression === 'range_coder' ? CompressionMode.COMPRESS_RANGE_CODER : CompressionMode.COMPRESS_NONE);
    host.intercept = (_from, bytes) => {
      if ((bytes[0]! & COMPRESSED_BIT) !== 0) this.compressedIn++;
      else this.record(bytes);
      return false;
    };
    host.egress = (_to, bytes) => {
      if ((bytes[0]! & COMPRESSED_BIT) !== 0) this.compressedOut++;
      return false;
    };
    this.peer.autoPoll = true;
  }

  private record(bytes: Uint8Array): void {
    const { datagram } = decodeDatagram(bytes);
    for (const c of datagram?.commands ?? []) {
      const command = c.command & 0x0f;
      if (command === Command.Connect) this.wire.push({ command, channelCount: c.channelCount!, data: c.data! });
      else if (command === Command.VerifyConnect) this.wire.push({ command, channelCount: c.channelCount! });
      else if (command === Command.Disconnect) this.wire.push({ command, data: c.data! });
    }
  }

  /** Removes and returns the first received packet whose payload (after the header) is `payload`. */
  async take(payload: Uint8Array, timeoutMs = LINE_TIMEOUT_MS): Promise<Received | undefined> {
    const want = digest(payload);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex((r) => r.digest === want);
      if (i >= 0) return this.received.splice(i, 1)[0];
      if (Date.now() > deadline) return undefined;
      await sleep(5);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `cond()` holds, checked every 5 ms; throws naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = LINE_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
