// The signaling side of the relay (relay.md §1, §2(b), §4), as the core keeps it: TURN REST
// credentials minted per lobby member, the lobby tags in their usernames, and the answers the
// embedded relay asks of the service — is `<lobbyTag>.<peerId>` a current member, and may it
// permit a given peer IP (an address the service saw for another member of the same lobby).
// Sans-IO: HMAC-SHA1 and the unix clock offset come in through options (docs/design.md §1).
import { mintTurnRestCredential } from '@meshpunch/nat';
import type { RelayCredentialsMessage, RelayServer } from '@meshpunch/protocol';
import { SignalingError } from '../errors.js';
import { toBase64Url } from './bytes.js';
import type { Lobby, Member } from './lobby.js';
import { TokenBucket } from '@meshpunch/base';

/** HMAC-SHA1 over the concatenation of `parts` (node: `nodeHmacSha1` of @meshpunch/nat). */
export type RelayHmacSha1 = (key: Uint8Array, parts: readonly Uint8Array[]) => Uint8Array;

/** What the core needs to mint relay credentials (the `relay` option of SignalingCoreOptions). */
export interface RelayCredentialOptions {
  /** The REST shared secret (`--relay-secret`, coturn's `static-auth-secret`). */
  secret: Uint8Array | string;
  hmacSha1: RelayHmacSha1;
  /** Unix time in ms when the core's `now` was 0 (REST usernames carry unix expiries). */
  unixMsAtZero: number;
  /** Credential lifetime, s (default 600, relay.md §2(b); needed only at Allocate). */
  ttlS?: number;
  /** REALM the servers use (default 'meshpunch', coturn's `realm=`). */
  realm?: string;
  /** Credentials per minute per member (default 6, relay.md §4) → SIG_RATE_LIMITED. */
  credentialsPerMinute?: number;
  /** Servers announced in `welcome.relay` (the adapter adds the embedded relay once bound). */
  servers?: RelayServer[];
}

/** Validated relay credential settings. */
export interface RelayCredentialConfig {
  readonly secret: Uint8Array;
  readonly hmacSha1: RelayHmacSha1;
  readonly unixMsAtZero: number;
  readonly ttlS: number;
  readonly realm: string;
  readonly credentialsPerMinute: number;
  readonly servers: readonly RelayServer[];
}

/** Most IPs remembered per member as sources of its authenticated TURN traffic (bounded memory). */
export const MAX_RELAY_SOURCES_PER_MEMBER = 8;
/** Bytes of a lobby tag: 72 bits, 12 base64url characters, unguessable and never the code. */
const LOBBY_TAG_BYTES = 9;

/**
 * Checks relay options.
 * @throws SignalingError ERR_INVALID_PARAMETER naming the first bad option
 */
export function resolveRelayCredentialOptions(o: RelayCredentialOptions): RelayCredentialConfig {
  const secret = typeof o.secret === 'string' ? new TextEncoder().encode(o.secret) : o.secret;
  if (!(secret instanceof Uint8Array) || secret.length === 0) throw new SignalingError('ERR_INVALID_PARAMETER', 'relay.secret must be a non-empty string or Uint8Array');
  if (typeof o.hmacSha1 !== 'function') throw new SignalingError('ERR_INVALID_PARAMETER', 'relay.hmacSha1 must be a function');
  if (!Number.isFinite(o.unixMsAtZero)) throw new SignalingError('ERR_INVALID_PARAMETER', `relay.unixMsAtZero must be a number, got ${String(o.unixMsAtZero)}`);
  const ttlS = o.ttlS ?? 600;
  if (!Number.isInteger(ttlS) || ttlS < 1 || ttlS > 86_400) throw new SignalingError('ERR_INVALID_PARAMETER', `relay.ttlS must be an integer 1..86400, got ${String(ttlS)}`);
  const realm = o.realm ?? 'meshpunch';
  if (typeof realm !== 'string' || realm.length < 1 || realm.length > 127) throw new SignalingError('ERR_INVALID_PARAMETER', 'relay.realm must be a string of 1..127 characters');
  const perMin = o.credentialsPerMinute ?? 6;
  if (!Number.isInteger(perMin) || perMin < 1 || perMin > 6000) throw new SignalingError('ERR_INVALID_PARAMETER', `relay.credentialsPerMinute must be an integer 1..6000, got ${String(perMin)}`);
  return Object.freeze({ secret: secret.slice(), hmacSha1: o.hmacSha1, unixMsAtZero: o.unixMsAtZero, ttlS, realm, credentialsPerMinute: perMin, servers: Object.freeze([...(o.servers ?? [])]) });
}

/** Why a credential request was refused. */
export type RelayRefusal = { code: 'SIG_RELAY_UNAVAILABLE' | 'SIG_RATE_LIMITED'; message: string };

/**
 * Lobby tags, credential minting and the membership / permission questions of the embedded
 * relay. One per core; absent when the service offers no relay.
 */
export class RelayAccess {
  readonly config: RelayCredentialConfig;
  /** Servers announced in `welcome.relay` and `relay.credentials` (the adapter sets it once bound). */
  servers: readonly RelayServer[];
  /** True when the embedded relay cannot take another allocation and no coturn is offered (adapter). */
  isFull: () => boolean = () => false;
  readonly #byTag = new Map<string, Lobby>();
  readonly #random: (out: Uint8Array) => void;
  readonly #tagBytes = new Uint8Array(LOBBY_TAG_BYTES);

  constructor(config: RelayCredentialConfig, random: (out: Uint8Array) => void) {
    this.config = config;
    this.servers = config.servers;
    this.#random = random;
  }

  /** True when there is at least one server to offer. */
  get isOffered(): boolean {
    return this.servers.length > 0;
  }

  /** Lobbies holding a tag (bounded by the lobbies that exist: a tag goes with its lobby). */
  get tagCount(): number {
    return this.#byTag.size;
  }

  /** The relay username's member part of `m`: `<lobbyTag>.<peerId>`. */
  memberName(m: Member): string {
    return `${this.#tagOf(m.lobby)}.${m.id}`;
  }

  /**
   * Mints credentials for `m`, or says why not.
   * @param rid the request id the answer carries
   */
  mint(now: number, m: Member, rid: number): RelayCredentialsMessage | RelayRefusal {
    if (!this.isOffered) return { code: 'SIG_RELAY_UNAVAILABLE', message: 'this service offers no relay' };
    const perMin = this.config.credentialsPerMinute;
    if (m.relayBucket === null) m.relayBucket = new TokenBucket(perMin, now);
    if (!m.relayBucket.take(now, perMin / 60, perMin)) {
      return { code: 'SIG_RATE_LIMITED', message: `more than ${perMin} relay.credentials per minute` };
    }
    if (this.isFull()) return { code: 'SIG_RELAY_UNAVAILABLE', message: 'the relay is at capacity' };
    const expiresAtS = Math.floor((this.config.unixMsAtZero + now) / 1000) + this.config.ttlS;
    const cred = mintTurnRestCredential(this.config.secret, this.#tagOf(m.lobby), String(m.id), expiresAtS, this.config.hmacSha1);
    return {
      type: 'relay.credentials', rid, username: cred.username, password: cred.password, ttlS: this.config.ttlS,
      realm: this.config.realm, servers: this.servers.map((s) => ({ ...s })),
    };
  }

  /** The current member named `<lobbyTag>.<peerId>` (away ones included: grace), or undefined. */
  memberOf(name: string): Member | undefined {
    const dot = name.lastIndexOf('.');
    if (dot <= 0 || dot === name.length - 1 || name.length > 80) return undefined;
    const lobby = this.#byTag.get(name.slice(0, dot));
    if (lobby === undefined) return undefined;
    const idText = name.slice(dot + 1);
    if (!/^[1-9][0-9]{0,9}$/.test(idText)) return undefined;
    const m = lobby.members.get(Number(idText));
    return m !== undefined && m.lobby.members.get(m.id) === m ? m : undefined;
  }

  /**
   * May the allocation of `name` be permitted toward `peerIp` (relay.md §2(b) rule 3(c))? Yes
   * only when another member of the same lobby was seen at that IP: its WebSocket source, a
   * host/srflx/upnp candidate it sent for a pair with the requester, or the source of its own
   * authenticated TURN traffic. The address-class rules (3(a), 3(b)) are the relay core's.
   */
  mayPermit(name: string, peerIp: string): boolean {
    const m = this.memberOf(name);
    if (m === undefined) return false;
    for (const other of m.lobby.members.values()) {
      if (other === m) continue;
      if (other.conn !== null && other.conn.ip === peerIp) return true;
      if (other.lastIp === peerIp) return true;
      if (other.relaySources?.includes(peerIp) === true) return true;
    }
    for (const pair of m.lobby.pairs.values()) {
      const other = pair.other(m);
      if (other === undefined) continue;
      if (pair.sentAddress(pair.a === other, peerIp)) return true;
    }
    return false;
  }

  /** The embedded relay authenticated a request of `name` from `ip`: remember it (bounded). */
  noteSource(name: string, ip: string): void {
    const m = this.memberOf(name);
    if (m === undefined) return;
    const sources = (m.relaySources ??= []);
    if (sources.includes(ip)) return;
    if (sources.length >= MAX_RELAY_SOURCES_PER_MEMBER) sources.shift();
    sources.push(ip);
  }

  /** `lobby` ended: its tag is forgotten (credentials minted under it stop at the next request). */
  lobbyClosed(lobby: Lobby): void {
    if (lobby.relayTag !== undefined && this.#byTag.get(lobby.relayTag) === lobby) this.#byTag.delete(lobby.relayTag);
  }

  /** `lobby` came with a tag of its own (taken over from the store: lobby-record.ts). */
  adopt(lobby: Lobby): void {
    if (lobby.relayTag !== undefined) this.#byTag.set(lobby.relayTag, lobby);
  }

  /** Forgets every tag (shutdown). */
  clear(): void {
    this.#byTag.clear();
  }

  #tagOf(lobby: Lobby): string {
    if (lobby.relayTag !== undefined) return lobby.relayTag;
    let tag = '';
    // 72 random bits: a collision is ~never; the bound keeps the loop finite regardless.
    for (let i = 0; i < 16 && (tag === '' || this.#byTag.has(tag)); i++) {
      this.#random(this.#tagBytes);
      tag = toBase64Url(this.#tagBytes);
    }
    lobby.relayTag = tag;
    this.#byTag.set(tag, lobby);
    return tag;
  }
}
