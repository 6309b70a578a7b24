// The ENet hosts an ENetMultiplayerPeer owns, around their events and their end (adapter):
// the autoService bridge autoPoll uses, and deferred destruction so a DISCONNECT just flushed
// still leaves before the socket closes.
import type { EventShape, HostShape } from '../enet-shapes.js';

/** What an autoService host emits: its three ENet events and 'error' (EventType.ERROR, a socket failure). */
type HostEventName = 'connect' | 'disconnect' | 'receive' | 'error';
const HOST_EVENT_NAMES: readonly HostEventName[] = ['connect', 'disconnect', 'receive', 'error'];

/** The EventEmitter side of an ENetConnection in autoService mode. */
interface HostEmitter {
  on(name: HostEventName, fn: (ev: EventShape) => void): unknown;
  off(name: HostEventName, fn: (ev: EventShape) => void): unknown;
}

/** Hosts switched to autoService, each with the listener that gets its events. */
export class HostEventBridge {
  readonly #listened = new Map<HostShape, (ev: EventShape) => void>();

  /**
   * Switches `host` to autoService and passes every event it emits to `fn`, including events
   * already queued (the switch emits them at once). A host that cannot emit (no `on`, no
   * `autoService`, e.g. an in-memory test host) or is already listened to is left alone.
   */
  listen(host: HostShape, fn: (ev: EventShape) => void): void {
    const em = host as unknown as Partial<HostEmitter>;
    if (this.#listened.has(host) || typeof em.on !== 'function' || !('autoService' in host)) return;
    this.#listened.set(host, fn);
    // 'error' too: a socket failure closes a client or server and drops a mesh link (§2.6).
    for (const name of HOST_EVENT_NAMES) em.on(name, fn);
    host.autoService = true;
  }

  /** Returns `host` to serviceSync()-driven polling and removes the listener. */
  unlisten(host: HostShape): void {
    const fn = this.#listened.get(host);
    if (fn === undefined) return;
    this.#listened.delete(host);
    host.autoService = false;
    const em = host as unknown as HostEmitter;
    for (const name of HOST_EVENT_NAMES) em.off(name, fn);
  }

  /** unlisten() for every host. */
  unlistenAll(): void {
    for (const host of [...this.#listened.keys()]) this.unlisten(host);
  }
}

/**
 * Destroys hosts on the next event-loop turn. node:dgram sends asynchronously and drops
 * datagrams still in flight when the socket closes, so destroying at once would lose the
 * DISCONNECT that close()/disconnectPeer() just flushed (libenet sends it synchronously).
 */
export class HostReaper {
  #doomed: HostShape[] = [];
  #destroying: Promise<void> | undefined = undefined;

  /** Resolves once every host handed to destroyLater so far is destroyed; undefined when none is pending. */
  get pending(): Promise<void> | undefined {
    return this.#destroying;
  }

  destroyLater(host: HostShape): void {
    this.#doomed.push(host);
    if (this.#destroying !== undefined) return;
    this.#destroying = new Promise<void>((resolve) => {
      setImmediate(() => {
        const list = this.#doomed.splice(0);
        for (const h of list) destroyQuietly(h);
        this.#destroying = undefined;
        resolve();
      });
    });
  }
}

/** `host.destroy()`, ignoring a host its owner already destroyed. */
export function destroyQuietly(host: HostShape): void {
  try {
    host.destroy();
  } catch {
    // Already destroyed by its owner: nothing left to release.
  }
}
