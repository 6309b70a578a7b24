import { expect } from 'chai';
import { HostCore } from '../../src/core/host.js';
import { PacketFlag } from '../../src/core/events.js';
import { PeerState as CorePeerState } from '../../src/core/peer.js';
import { PayloadSlab } from '../../src/core/payload-slab.js';

describe('PayloadSlab', () => {
  it('returns private copies that survive reuse of the source and of the slab while retained', () => {
    const slab = new PayloadSlab();
    const src = new Uint8Array(1000);
    const copies: Uint8Array[] = [];
    // 40 × 1000 B spans three 16 KiB slabs.
    for (let i = 0; i < 40; i++) {
      src.fill(i);
      copies.push(slab.copy(src));
      slab.retain(slab.last!);
    }
    src.fill(255);
    for (let i = 0; i < 40; i++) {
      expect(copies[i]!.length).to.equal(1000);
      expect(copies[i]!.every((b) => b === i), `copy ${i}`).to.equal(true);
    }
  });

  it('reuses a full slab only once every retain of it was released', () => {
    const pool = new PayloadSlab();
    const src = new Uint8Array(1000);
    const first: Uint8Array[] = [];
    for (let i = 0; i < 16; i++) {
      src.fill(1);
      first.push(pool.copy(src));
      pool.retain(pool.last!);
    }
    const full = pool.last!;
    // The 17th copy starts a second slab; the first is still read by 16 commands.
    src.fill(2);
    pool.copy(src);
    const second = pool.last!;
    expect(second).to.not.equal(full);
    pool.retain(second);
    for (let i = 0; i < 15; i++) pool.release(full);
    // Filling the second slab must not land in the first while one command still reads it.
    for (let i = 0; i < 16; i++) {
      src.fill(3);
      pool.copy(src);
      pool.retain(pool.last!);
    }
    expect(pool.last).to.not.equal(full);
    expect(first.every((c) => c.every((b) => b === 1))).to.equal(true);
    // The last release frees it: the next slab the pool starts is that one, from its start.
    pool.release(full);
    for (let i = 0; i < 16 && pool.last !== full; i++) {
      src.fill(4);
      pool.copy(src);
    }
    expect(pool.last).to.equal(full);
    expect(first[0]!.every((b) => b === 4)).to.equal(true);
  });

  it('a host recycles the slabs of acknowledged packets and delivers every payload intact', () => {
    // Two cores in memory, 600 reliable packets of 1000 B each carrying its own index, 64 in
    // flight: slabs are reused many times over; each packet must arrive with its own bytes.
    const opts = { peerCount: 1, channelLimit: 1, random: (b: Uint8Array): void => { b.fill(7); } };
    const a = new HostCore(opts);
    const b = new HostCore(opts);
    const ea = { address: '10.0.0.1', port: 1 };
    const eb = { address: '10.0.0.2', port: 2 };
    const to = { address: '', port: 0 };
    let now = 1000;
    const pump = (from: typeof ea, src: HostCore, dst: HostCore): void => {
      for (;;) {
        const out = new Uint8Array(4096);
        const n = src.pollTransmit(now, out, to);
        if (n === 0) return;
        dst.handleDatagram(now, from, out.subarray(0, n));
      }
    };
    const peer = a.connect(eb.address, eb.port, 1, 0)!;
    for (let i = 0; i < 10 && peer.state !== CorePeerState.Connected; i++) {
      pump(ea, a, b);
      pump(eb, b, a);
      while (a.pollEvent() !== undefined);
      while (b.pollEvent() !== undefined);
      now += 10;
    }
    expect(peer.state).to.equal(CorePeerState.Connected);
    const src = new Uint8Array(1000);
    const got: number[] = [];
    let sent = 0;
    for (let round = 0; round < 1000 && got.length < 600; round++) {
      while (sent < 600 && sent - got.length < 64) {
        src.fill(sent & 0xff);
        src[0] = sent >> 8;
        expect(a.send(peer, 0, src, PacketFlag.Reliable)).to.equal(true);
        sent++;
      }
      pump(ea, a, b);
      for (let ev = b.pollEvent(); ev !== undefined; ev = b.pollEvent()) {
        if (ev.type !== 'receive') continue;
        const p = ev.packet!;
        const index = (p[0]! << 8) | p[1]!;
        expect(p.subarray(1).every((x) => x === (index & 0xff)), `packet ${index}`).to.equal(true);
        got.push(index);
      }
      pump(eb, b, a);
      while (a.pollEvent() !== undefined);
      now += 1;
    }
    expect(got).to.deep.equal(Array.from({ length: 600 }, (_, i) => i));
  });

  it('copies from a Node Buffer view, handles empty packets and gives big ones their own buffer', () => {
    const slab = new PayloadSlab();
    const big = Buffer.alloc(5000, 7).subarray(10, 4010);
    const c = slab.copy(big);
    expect(c.length).to.equal(4000);
    expect(c.byteOffset).to.equal(0);
    expect(c.buffer.byteLength).to.equal(4000);
    big.fill(1);
    expect(c.every((b) => b === 7)).to.equal(true);
    expect(slab.copy(new Uint8Array(0)).length).to.equal(0);
    const small = slab.copy(Buffer.from([1, 2, 3]));
    expect(small).to.be.instanceOf(Uint8Array);
    expect(Buffer.isBuffer(small)).to.equal(false);
    expect([...small]).to.deep.equal([1, 2, 3]);
  });
});
