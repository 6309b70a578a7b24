import { expect } from 'chai';
import type { DatagramSource, DatagramTransport } from '@meshpunch/nat';
import { TimedTransport } from '../../src/adapter/timed-transport.js';

/** A STUN header: type, length 0, the magic cookie, a 12-byte transaction id filled with `id`. */
function stun(type: number, id: number): Uint8Array {
  const b = new Uint8Array(20);
  b[0] = type >> 8;
  b[1] = type & 0xff;
  b.set([0x21, 0x12, 0xa4, 0x42], 4);
  b.fill(id, 8, 20);
  return b;
}

/** An in-memory transport: records sends; `deliver` plays a datagram to the handlers. */
class FakeTransport implements DatagramTransport {
  readonly sent: Array<{ address: string; port: number; bytes: Uint8Array }> = [];
  readonly handlers = new Set<(bytes: Uint8Array, from: DatagramSource) => void>();
  send(address: string, port: number, bytes: Uint8Array): void {
    this.sent.push({ address, port, bytes });
  }
  onStun(handler: (bytes: Uint8Array, from: DatagramSource) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  deliver(bytes: Uint8Array, from: DatagramSource): void {
    for (const h of this.handlers) h(bytes, from);
  }
}

describe('TimedTransport', () => {
  describe('#firstRttTo', () => {
    it('measures the first answered Binding request per destination at the clock\'s resolution', () => {
      let t = 1000.25;
      const inner = new FakeTransport();
      const timed = new TimedTransport(inner, () => t);
      const got: Uint8Array[] = [];
      timed.onStun((b) => got.push(b));
      timed.send('10.0.0.2', 4000, stun(0x0001, 1));
      t += 0.37;
      inner.deliver(stun(0x0101, 1), { address: '10.0.0.2', port: 4000 });
      expect(timed.firstRttTo('10.0.0.2', 4000)).to.be.closeTo(0.37, 1e-9);
      // A later answer (a keepalive) does not replace the proving one.
      timed.send('10.0.0.2', 4000, stun(0x0001, 2));
      t += 5;
      inner.deliver(stun(0x0101, 2), { address: '10.0.0.2', port: 4000 });
      expect(timed.firstRttTo('10.0.0.2', 4000)).to.be.closeTo(0.37, 1e-9);
      expect(inner.sent).to.have.length(2);
      expect(got).to.have.length(2);
    });

    it('ignores answers to unknown transactions and non-Binding messages; keeps its table bounded', () => {
      let t = 0;
      const inner = new FakeTransport();
      const timed = new TimedTransport(inner, () => t);
      timed.onStun(() => undefined);
      inner.deliver(stun(0x0101, 9), { address: '10.0.0.3', port: 1 });
      timed.send('10.0.0.3', 1, stun(0x0011, 3));
      inner.deliver(stun(0x0111, 3), { address: '10.0.0.3', port: 1 });
      expect(timed.firstRttTo('10.0.0.3', 1)).to.equal(undefined);
      for (let i = 0; i < 1000; i++) timed.send('10.0.0.4', 1000 + i, stun(0x0001, i & 0xff));
      t = 1;
      // The oldest outstanding requests were forgotten; an answer to one of the newest still counts.
      inner.deliver(stun(0x0101, 999 & 0xff), { address: '10.0.0.4', port: 1999 });
      expect(timed.firstRttTo('10.0.0.4', 1999)).to.equal(1);
    });
  });
});
