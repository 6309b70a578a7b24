// Protocol versions and capability negotiation for the `hello` / `welcome` exchange (core).

/** The protocol version this code speaks best. Bumped only for incompatible wire changes. */
export const PROTOCOL_VERSION = 1;

/** Every version this code can speak, newest first. */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([1]);

/**
 * Optional features a side may offer in `hello.caps` / `welcome.caps`. Unknown capability
 * strings from a peer are ignored (forward compatibility), never an error.
 */
export const CAPABILITIES = Object.freeze(['resume', 'password', 'seal', 'server-mode', 'stun', 'link-view', 'create-if-missing', 'restore', 'relay', 'claim', 'dtls'] as const);

/**
 * Revision of protocol version 1: additive changes negotiated by capability, so old clients and
 * services keep working. 1.1 (issue #12): the `restore` capability — `lobby.restore`, the lobby
 * `key` in `lobby.joined` / `resume.ok`, `SIG_RESTORE_REJECTED`. 1.2 (issue #11): the `relay`
 * capability — `welcome.relay`, `relay.credentials`, the `nat` hint of `pair.candidates`,
 * `SIG_RELAY_UNAVAILABLE`. 1.3 (issue #13 item 8): the `claim` capability — `claim` on
 * `lobby.create` / `lobby.join` / `lobby.restore`, named lobbies scoped by a group's secret so a
 * name cannot be squatted. 1.4 (issue 17): the live view's `view` link. 1.5 (issue 18): the
 * `dtls` capability — the `fingerprint` of `pair.candidates` (the sender's DTLS certificate),
 * passed on to the other side. 1.6 (issue 17): the optional `probes` of `pair.result` (a
 * bounded per-candidate record of the sender's checks, for the live view). 1.7 (issue 19): the
 * welcome stands for the first heartbeat (`welcome.n`, acked like a heartbeat) instead of a
 * separate heartbeat before it: one message fewer per connection. 1.8 (issue 19): the lobby view's
 * `links` are filled only for clients that offered the `link-view` capability (every pair of the
 * lobby: n(n-1)/2 of them, most of a big lobby's `lobby.joined`); others get `links: []`.
 * docs/protocol.md lists them.
 */
export const PROTOCOL_REVISION = '1.8';

/** One capability name. */
export type Capability = (typeof CAPABILITIES)[number];

/**
 * Picks the highest version both sides support.
 * @param offered versions from the peer's `hello.versions`
 * @param supported our versions (defaults to SUPPORTED_VERSIONS)
 * @returns the chosen version, or undefined when there is none in common
 */
export function negotiateVersion(offered: readonly number[], supported: readonly number[] = SUPPORTED_VERSIONS): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < offered.length; i++) {
    const v = offered[i]!;
    if (supported.includes(v) && (best === undefined || v > best)) best = v;
  }
  return best;
}

/**
 * The capabilities both sides offer, in our order.
 * @param offered the peer's capability strings (unknown ones are dropped)
 * @param ours our capability list
 */
export function negotiateCapabilities(offered: readonly string[], ours: readonly Capability[] = CAPABILITIES): Capability[] {
  const out: Capability[] = [];
  for (let i = 0; i < ours.length; i++) if (offered.includes(ours[i]!)) out.push(ours[i]!);
  return out;
}
