// Test helpers: two ENet host cores on a SimNet, with event logs.
import { Prng, SimDriver, SimNet, type LinkConditions } from '@meshpunch/sim';
import { HostCore, type CoreEvent, type HostCoreOptions, type Peer } from '../../src/index.js';

export interface LoggedEvent {
  type: CoreEvent['type'];
  peer: Peer;
  data: number;
  channelID: number;
  packet: Uint8Array | null;
  flags: number;
  at: number;
}

/** A host core plus the events drained from it after every driver step. */
export class Node {
  readonly events: LoggedEvent[] = [];
  constructor(readonly core: HostCore, readonly address: string, readonly port: number) {}
  drain(now: number): void {
    for (let ev = this.core.pollEvent(); ev !== undefined; ev = this.core.pollEvent()) {
      this.events.push({ type: ev.type, peer: ev.peer, data: ev.data, channelID: ev.channelID, packet: ev.packet, flags: ev.flags, at: now });
    }
  }
  count(type: CoreEvent['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }
}

export interface Pair {
  driver: SimDriver;
  net: SimNet;
  a: Node;
  b: Node;
  /** Steps until pred, draining events after each step. */
  runUntil(pred: () => boolean, maxVirtualMs?: number): void;
  runFor(ms: number): void;
}

export function makePair(seed: number, link: Partial<LinkConditions> = {}, aOpts: Partial<HostCoreOptions> = {}, bOpts: Partial<HostCoreOptions> = {}): Pair {
  const prng = new Prng(seed);
  const net = new SimNet({ prng, defaultLink: { latencyMs: 10, ...link } });
  const driver = new SimDriver(net);
  const rng = new Prng(seed ^ 0x5eed);
  const a = new Node(new HostCore({ random: (o) => rng.fill(o), ...aOpts }), '203.0.113.1', 1000);
  const b = new Node(new HostCore({ random: (o) => rng.fill(o), ...bOpts }), '203.0.113.2', 2000);
  driver.add(a.core, a.address, a.port);
  driver.add(b.core, b.address, b.port);
  const drain = (): void => {
    a.drain(driver.now);
    b.drain(driver.now);
  };
  return {
    driver, net, a, b,
    runUntil(pred, maxVirtualMs = 60_000) {
      driver.runUntil(() => {
        drain();
        return pred();
      }, { maxVirtualMs });
      drain();
    },
    runFor(ms) {
      const until = driver.now + ms;
      while (driver.now < until) {
        driver.flush();
        const t = driver.nextEventAt();
        if (t === undefined || t > until) {
          driver.clock.advanceTo(until);
          break;
        }
        driver.step();
        drain();
      }
      drain();
    },
  };
}

/** Connects a → b and runs until both see `connect`; returns a's and b's peer objects. */
export function connectPair(p: Pair, channels = 2, data = 0): { pa: Peer; pb: Peer } {
  const pa = p.a.core.connect(p.b.address, p.b.port, channels, data)!;
  p.runUntil(() => p.a.count('connect') === 1 && p.b.count('connect') === 1);
  const pb = p.b.events.find((e) => e.type === 'connect')!.peer;
  return { pa, pb };
}
