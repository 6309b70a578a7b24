// The routing layer below ENet for one link (core, sans-IO; relay.md §3 "Moving a live ENet peer").
// ENet keeps one peer per link at a fixed *virtual endpoint* (the address its handshake used);
// the mux decides which proven path carries that peer's datagrams now, and which sources may
// speak for it. A direct path (lan / punched / upnp) always beats the relay; when the direct path
// loses consent the relay takes over, and when a direct path proves again it takes back — ENet
// sees neither change, so no peerDisconnected and no lost or reordered reliable packet (its
// own retransmission covers datagrams lost in the switch).

import { sameEndpoint, type Endpoint } from './endpoint.js';
import type { PathKind } from './link-machine.js';

/** The two kinds of path a link may hold at once (one of each at most). */
export type PathSlot = 'direct' | 'relay';

/**
 * How datagrams reach the peer on a path: `socket` = a plain send from the link socket to `to`
 * (a punched or LAN address, or the peer's relayed address); `turn` = through our own TURN
 * allocation to the peer's address `to` (ChannelData).
 */
export interface PathRoute {
  readonly slot: PathSlot;
  readonly kind: PathKind;
  readonly via: 'socket' | 'turn';
  readonly to: Endpoint;
}

/** A change of the path in use; `from` undefined for the first one. */
export interface PathChange {
  readonly from: PathKind | undefined;
  readonly to: PathKind;
  readonly route: PathRoute;
}

/** What the mux counted. */
export interface PathMuxCounters {
  /** Path changes after the first choice. */
  switches: number;
  /** Datagrams rewritten to the virtual endpoint (they came by another proven path). */
  rewritten: number;
}

/**
 * One link's paths. Inputs: `prove` / `lose` per slot, `setVirtual` once ENet's peer exists.
 * Queries per datagram: `route(to)` for ENet's egress, `aliasOf(from)` for inbound datagrams.
 */
export class PathMux {
  private readonly paths: { direct: PathRoute | undefined; relay: PathRoute | undefined } = { direct: undefined, relay: undefined };
  private current: PathRoute | undefined = undefined;
  private virtual: Endpoint | undefined = undefined;
  readonly counters: PathMuxCounters = { switches: 0, rewritten: 0 };

  /** The path in use, if any. */
  get active(): PathRoute | undefined {
    return this.current;
  }

  /** ENet's fixed endpoint for the peer, once its handshake picked one. */
  get virtualEndpoint(): Endpoint | undefined {
    return this.virtual;
  }

  /** Whether `slot` holds a live (proven, not lost) path. */
  has(slot: PathSlot): boolean {
    return this.paths[slot] !== undefined;
  }

  /** The route of `slot`, when it holds one. */
  routeOf(slot: PathSlot): PathRoute | undefined {
    return this.paths[slot];
  }

  /** Fixes the virtual endpoint (the ENet peer's address); later calls do nothing. */
  setVirtual(ep: Endpoint): void {
    this.virtual ??= { address: ep.address, port: ep.port };
  }

  /** A path proved (a check passed MESSAGE-INTEGRITY under the pair secret); returns the change it causes. */
  prove(route: PathRoute): PathChange | undefined {
    this.paths[route.slot] = route;
    return this.choose();
  }

  /** A path lost consent; returns the change it causes (undefined also when nothing is left). */
  lose(slot: PathSlot): PathChange | undefined {
    this.paths[slot] = undefined;
    return this.choose();
  }

  /**
   * Where ENet's datagram to `to` goes: the active route when `to` is the virtual endpoint;
   * before the handshake fixed one, the active route when it leads to `to`, else the relay
   * route when `to` is the peer's address behind our allocation; otherwise undefined (the
   * socket, as ENet asked).
   *
   * The peer's punched address and its address behind our allocation are often the same
   * endpoint (its NAT maps one port for both). The active route decides between them: a relay
   * that proved beside a live direct path while the listen side waited for the CONNECT sent the
   * DTLS server's flights through the allocation, where the connecting side, which knew only
   * the direct path, dropped them — every handshake attempt ended in connect-timeout (NAT lab
   * at load 17–24, a slow punch made the listen side allocate after RELAY_AFTER_MS).
   */
  route(to: Endpoint): PathRoute | undefined {
    const v = this.virtual;
    if (v !== undefined) {
      if (sameEndpoint(v, to)) return this.current;
    } else if (this.current !== undefined && sameEndpoint(this.current.to, to)) {
      return this.current;
    }
    const relay = this.paths.relay;
    if (relay !== undefined && relay.via === 'turn' && sameEndpoint(relay.to, to)) return relay;
    return undefined;
  }

  /**
   * The source ENet must see for a datagram that arrived from `from`: the virtual endpoint when
   * `from` is another live path's endpoint, undefined when it needs no rewrite (it is the
   * virtual endpoint, or unknown: ENet drops what matches no peer).
   */
  aliasOf(from: Endpoint): Endpoint | undefined {
    const v = this.virtual;
    if (v === undefined || sameEndpoint(v, from)) return undefined;
    for (const p of [this.paths.direct, this.paths.relay]) {
      if (p !== undefined && sameEndpoint(p.to, from)) {
        this.counters.rewritten++;
        return v;
      }
    }
    return undefined;
  }

  /** A direct path whenever one lives, else the relay; the current one stays when nothing is left. */
  private choose(): PathChange | undefined {
    const next = this.paths.direct ?? this.paths.relay;
    if (next === undefined) return undefined;
    const prev = this.current;
    if (prev !== undefined && prev.slot === next.slot && prev.via === next.via && sameEndpoint(prev.to, next.to)) {
      this.current = next;
      return undefined;
    }
    this.current = next;
    if (prev !== undefined) this.counters.switches++;
    return { from: prev?.kind, to: next.kind, route: next };
  }
}
