// A lab peer that streams (for path-change tests): joins `lobby` through the agent library,
// waits for its one link, prints `linked <path>`, then sends a reliable `seq` to the other member
// every 20 ms for `seconds` while recording what arrives; prints its progress events as they
// come (`event {...}`) and a final `result {...}` line, then leaves.
// Usage: node stream-peer.js <signal url> <lobby> <create 0|1> <stun host:port> <seconds>
// (at most; "stop" on stdin ends sending sooner)
//   [directReprobeMs relayReleaseMs] (joinMesh options; default: the agent's)
import { joinMesh } from '@meshpunch/agent';
import { TransferMode } from '@meshpunch/multiplayer';

const [signal, lobby, create, stun, seconds, reprobeMs, releaseMs] = process.argv.slice(2);
const session = await joinMesh({
  signal: signal!, lobby: lobby!, create: create === '1', stun: [stun!], expectedPeers: 2,
  ...(reprobeMs === undefined ? {} : { directReprobeMs: Number(reprobeMs) }),
  ...(releaseMs === undefined ? {} : { relayReleaseMs: Number(releaseMs) }),
});
process.stdout.write(`joined as peer ${session.id}\n`);
session.onProgress((e) => {
  if (e.type === 'pathChanged' || e.type === 'relayAllocated' || e.type === 'linkUp' || e.type === 'peerRemoved' || e.type === 'linkFailed') {
    process.stdout.write(`event ${JSON.stringify(e)}\n`);
  }
});
const got: number[] = [];
/** How many the other side sent, from its END packet (reliable and in order: it comes after them all). */
let peerSent: number | undefined;
const END = 0xffffffff;
let disconnected = 0;
session.multiplayer.on('packet', (data) => {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (v.getUint32(0) === END) peerSent = v.getUint32(4);
  else got.push(v.getUint32(0));
});
session.multiplayer.on('peerDisconnected', () => disconnected++);
await session.waitForMesh(2, 30_000);
const peer = session.linkedPeers()[0]!;
process.stdout.write(`linked ${session.report().peers[0]?.path ?? '?'}\n`);
const mp = session.multiplayer;
mp.transferMode = TransferMode.TRANSFER_MODE_RELIABLE;
let sent = 0;
// Sending ends after `seconds` or once the test writes "stop" to stdin, whichever comes first: a
// test that waits for a path change stops the stream after it, so a slow change on a loaded
// machine cannot outlast a fixed stream (CI: the stream ended before the upgrade to direct).
let stopAsked = false;
process.stdin.on('data', (d: Buffer) => {
  if (d.toString('utf8').includes('stop')) stopAsked = true;
});
process.stdin.on('error', () => undefined);
const end = performance.now() + Number(seconds) * 1000;
while (performance.now() < end && !stopAsked) {
  const p = new Uint8Array(64);
  new DataView(p.buffer).setUint32(0, sent++);
  mp.setTargetPeer(peer);
  mp.putPacket(p);
  await new Promise((r) => setTimeout(r, 20));
}
// Tell the other side how many we sent: it waits for exactly that, not for its own count (the
// two sides start sending a few ms apart, so their counts differ by one now and then).
const end8 = new Uint8Array(8);
new DataView(end8.buffer).setUint32(0, END);
new DataView(end8.buffer).setUint32(4, sent);
mp.setTargetPeer(peer);
mp.putPacket(end8);
// The path when sending ended (the other side may leave during the tail).
const path = session.report().peers[0]?.path ?? null;
// Let the tail arrive (retransmissions after a path change included).
const wait = performance.now() + 8000;
while (performance.now() < wait && (peerSent === undefined || got.length < peerSent)) await new Promise((r) => setTimeout(r, 50));
const inOrder = got.every((v, i) => v === i);
process.stdout.write(`result ${JSON.stringify({ sent, received: got.length, inOrder, disconnected, path })}\n`);
await session.close({ timeoutMs: 2000 });
process.exit(0);
