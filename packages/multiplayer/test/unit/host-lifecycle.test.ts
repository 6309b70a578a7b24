import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { destroyQuietly, HostEventBridge, HostReaper } from '../../src/adapter/host-lifecycle.js';
import type { EventShape, HostShape } from '../../src/enet-shapes.js';

/** Just enough of an ENetConnection: autoService, EventEmitter, destroy(). */
class EmittingHost extends EventEmitter {
  autoService = false;
  destroyed = 0;
  destroy(): void {
    this.destroyed++;
    if (this.destroyed > 1) throw new Error('already destroyed');
  }
}
const asHost = (h: object): HostShape => h as unknown as HostShape;

describe('host-lifecycle', () => {
  describe('HostEventBridge', () => {
    it('switches a host to autoService and passes connect, disconnect, receive and error events until unlisten', () => {
      const h = new EmittingHost();
      const seen: number[] = [];
      const bridge = new HostEventBridge();
      bridge.listen(asHost(h), (ev) => seen.push(ev.type));
      bridge.listen(asHost(h), () => seen.push(99)); // already listened: ignored
      expect(h.autoService).to.equal(true);
      const ev = (type: number): EventShape => ({ type, data: 0, channel: 0 });
      h.emit('connect', ev(1));
      h.emit('disconnect', ev(2));
      h.emit('receive', ev(3));
      h.emit('error', ev(-1));
      expect(seen).to.deep.equal([1, 2, 3, -1]);
      bridge.unlistenAll();
      expect(h.autoService).to.equal(false);
      expect(h.listenerCount('connect') + h.listenerCount('disconnect') + h.listenerCount('receive') + h.listenerCount('error')).to.equal(0);
    });

    it('leaves a host that cannot emit alone', () => {
      const plain = { serviceSync: () => ({ type: 0, data: 0, channel: 0 }) };
      new HostEventBridge().listen(asHost(plain), () => undefined);
      expect('autoService' in plain).to.equal(false);
    });
  });

  describe('HostReaper', () => {
    it('destroys every doomed host on the next turn, once, and then has nothing pending', async () => {
      const reaper = new HostReaper();
      expect(reaper.pending).to.equal(undefined);
      const a = new EmittingHost();
      const b = new EmittingHost();
      reaper.destroyLater(asHost(a));
      reaper.destroyLater(asHost(b));
      expect(a.destroyed + b.destroyed).to.equal(0);
      await reaper.pending;
      expect([a.destroyed, b.destroyed]).to.deep.equal([1, 1]);
      expect(reaper.pending).to.equal(undefined);
    });
  });

  describe('#destroyQuietly', () => {
    it('ignores a host that throws because it was already destroyed', () => {
      const h = new EmittingHost();
      destroyQuietly(asHost(h));
      expect(() => destroyQuietly(asHost(h))).to.not.throw();
      expect(h.destroyed).to.equal(2);
    });
  });
});
