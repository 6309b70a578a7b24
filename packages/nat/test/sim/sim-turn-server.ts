// Test helper: a TurnServerCore in the simulator. The core sends from several ports (the control
// port and one per allocation), so it is bound as one facade node per port; each facade's
// pollTransmit sorts the core's output into per-port outboxes, and bindPort/freePort events add
// and remove relayed-port nodes on the SimDriver.
import type { SimDriver } from '@meshpunch/sim';
import { TurnServerCore, nodeHmacSha1, nodeMd5, type TurnServerOptions } from '../../src/index.js';

interface Out {
  address: string;
  port: number;
  bytes: Uint8Array;
}

class PortNode {
  readonly outbox: Out[] = [];
  constructor(readonly server: SimTurnServer, readonly port: number) {}
  handleDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): void {
    if (this.port === this.server.controlPort) this.server.core.handleDatagram(now, from, bytes);
    else this.server.core.handleRelayDatagram(now, this.port, from, bytes);
  }
  handleTimeout(now: number): void {
    if (this.port === this.server.controlPort) this.server.core.handleTimeout(now);
  }
  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    this.server.pump(now);
    const o = this.outbox.shift();
    if (o === undefined) return 0;
    out.set(o.bytes, 0);
    to.address = o.address;
    to.port = o.port;
    return o.bytes.length;
  }
  pollTimeout(): number | undefined {
    return this.port === this.server.controlPort ? this.server.core.pollTimeout() : undefined;
  }
}

/** A simulated embedded relay at `address:controlPort`, relayed ports from 49152 up. */
export class SimTurnServer {
  readonly core: TurnServerCore;
  readonly nodes = new Map<number, PortNode>();
  #nextPort = 49152;
  #scratch = new Uint8Array(65536);
  #to = { address: '', port: 0, relayPort: 0 };

  constructor(
    readonly driver: SimDriver,
    readonly address: string,
    readonly controlPort: number,
    options: Partial<TurnServerOptions> & Pick<TurnServerOptions, 'secret' | 'isMember' | 'random'>,
  ) {
    this.core = new TurnServerCore({ relayAddress: address, hmacSha1: nodeHmacSha1, md5: nodeMd5, unixMsAtZero: 1_700_000_000_000, ...options });
    const control = new PortNode(this, controlPort);
    this.nodes.set(controlPort, control);
    driver.add(control, address, controlPort);
  }

  /** Moves the core's transmits into the per-port outboxes and applies its port events. */
  pump(now: number): void {
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) {
      if (e.type === 'bindPort') {
        const port = this.#nextPort++;
        const node = new PortNode(this, port);
        this.nodes.set(port, node);
        this.driver.add(node, this.address, port);
        this.core.portBound(now, e.allocation, port);
      } else if (e.type === 'freePort') {
        const node = this.nodes.get(e.port);
        if (node) this.driver.remove(node);
        this.nodes.delete(e.port);
      }
    }
    for (let n = this.core.pollTransmit(now, this.#scratch, this.#to); n > 0; n = this.core.pollTransmit(now, this.#scratch, this.#to)) {
      const node = this.nodes.get(this.#to.relayPort === 0 ? this.controlPort : this.#to.relayPort);
      node?.outbox.push({ address: this.#to.address, port: this.#to.port, bytes: this.#scratch.slice(0, n) });
    }
  }
}
