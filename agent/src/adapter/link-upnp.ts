// A link port's UPnP mapping (adapter): asked of the session's gateway when --upnp is on, kept
// until the link is released, then deleted from the router. LinkRunner (link-runner.ts) holds one.
import type { UpnpGateway, UpnpPortMapping } from '@meshpunch/nat';
import type { Endpoint } from '../core/endpoint.js';

/** One link's UPnP mapping: asked once (`open`), deleted once (`close`). */
export class LinkUpnp {
  #mapping: UpnpPortMapping | undefined = undefined;
  #closed = false;
  /** Attempts and deletions still under way: the link's whenReleased waits for them. */
  readonly pending: Promise<unknown>[] = [];

  /**
   * @param gateway the session's gateway (discovered once), undefined when none answered
   * @param description the rule's description on the router (names the pair)
   */
  constructor(private readonly gateway: () => Promise<UpnpGateway | undefined>, private readonly description: string) {}

  /**
   * Maps `port` and gives the public endpoint, or undefined when no mapping is possible. The
   * attempt joins `pending`: a mapping the router makes after the link ended is deleted then,
   * not left behind when the process exits.
   */
  open(port: number): Promise<Endpoint | undefined> {
    const attempt = this.#open(port);
    this.pending.push(attempt);
    return attempt;
  }

  /** Deletes the mapping (now, or when an attempt under way ends). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#mapping !== undefined) this.pending.push(deleteMapping(this.#mapping));
  }

  async #open(port: number): Promise<Endpoint | undefined> {
    const gateway = await this.gateway();
    if (gateway === undefined) return undefined;
    try {
      const { openUpnpMapping } = await import('@meshpunch/nat');
      const m = await openUpnpMapping({ internalPort: port, gateway, description: this.description });
      if (this.#closed) {
        await deleteMapping(m);
        return undefined;
      }
      this.#mapping = m;
      return { address: m.externalAddress, port: m.externalPort };
    } catch {
      // The router refused or vanished: the link goes on with host and srflx candidates.
      return undefined;
    }
  }
}

/**
 * Deletes a link's UPnP mapping from the router, asking twice when the first request failed: a
 * router slow to answer (miniupnpd at load 10–25 took longer than the HTTP limit) may have
 * deleted it anyway, and a second DeletePortMapping of a rule already gone succeeds
 * (NoSuchEntryInArray). Never rejects; a rule still left dies with its lease (1200 s).
 */
function deleteMapping(m: UpnpPortMapping): Promise<void> {
  return m.close().catch(() => m.gateway.deletePortMapping(m.externalPort, m.protocol)).catch(() => undefined);
}
