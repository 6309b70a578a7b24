// Mesh links secured by default (issue 18), the WebRTC model (adapter): a fresh key pair and
// self-signed certificate per session, its fingerprint sent with every pair's candidates through
// the signaling service (protocol 1.3 `fingerprint`), and on each link socket a DTLS handshake
// (Godot's ENet DTLS: the listen side is the DTLS server) that accepts only the certificate the
// peer's candidates named. A wrong or missing certificate ends the link with `auth-failed`
// before addMeshPeer. STUN, punch checks and TURN keep the same socket: they are taken by the
// host's `intercept` before ENet (demultiplexed by source and first byte, RFC 7983), and a relay
// path below ENet (`egress`/`deliver`) only ever carries DTLS records.
import { CipherSuite, generateIdentity, nodeDtlsCrypto, type GeneratedIdentity } from '@meshpunch/dtls';
import { TLSOptions, type ENetConnection, type SecureHostEvent } from '@meshpunch/enet';
import type { LinkRole } from '../core/link-machine.js';

/** The session's DTLS identity: one per joinMesh, never reused across sessions. */
export class SessionIdentity {
  readonly generated: GeneratedIdentity;
  /** What goes on the wire (`pair.candidates.fingerprint`, RFC 8122 §5 form). */
  readonly wireFingerprint: string;

  constructor() {
    this.generated = generateIdentity({ commonName: 'meshpunch' });
    this.wireFingerprint = `sha-256 ${this.generated.fingerprint}`;
    warmRecordCipher();
  }
}

/**
 * Seals one record with the preferred suite's cipher (ChaCha20-Poly1305), so the process builds
 * it now: @meshpunch/dtls generates it as WebAssembly at its first use, 8-15 ms of CPU in a fresh
 * process, which otherwise fell inside the first link's DTLS handshake, on both sides, and every
 * link handshaking beside it waited behind it. joinMesh makes the identity, and so this, while
 * its lobby request is in flight. The key and record are throwaway zeros; nothing is kept.
 */
function warmRecordCipher(): void {
  nodeDtlsCrypto.createAead(CipherSuite.EcdheEcdsaChacha20Poly1305Sha256, new Uint8Array(32)).seal(new Uint8Array(12), new Uint8Array(13), new Uint8Array(16), new Uint8Array(32), 0);
}

/** One link's side of the security: what the peer must present, and the DTLS setup of the link host. */
export class LinkSecurity {
  readonly #identity: SessionIdentity;
  #remote: string | undefined = undefined;

  constructor(identity: SessionIdentity) {
    this.#identity = identity;
  }

  /** The field our candidates carry. */
  get candidateFields(): { fingerprint: string } {
    return { fingerprint: this.#identity.wireFingerprint };
  }

  /** The peer's fingerprint from its candidates (the first one counts: a pair's peer has one identity). */
  setRemoteFingerprint(wire: string): void {
    this.#remote ??= wire.replace(/^sha-256 /, '');
  }

  /**
   * Makes `host` a DTLS host for `role` (listen = DTLS server) pinned to the peer's fingerprint,
   * and reports a refused handshake from the peer (`isPeer`: the punch proved that source) through
   * `onRefused` with the DTLS error code, and the peer's completed handshake through `onSecured`.
   * Returns why it cannot (the peer sent no fingerprint), or undefined when set up (or already).
   */
  apply(host: ENetConnection, role: LinkRole, isPeer: (address: string, port: number) => boolean, onRefused: (detail: string) => void, onSecured?: () => void): string | undefined {
    if (host.isDtls()) return undefined;
    const remote = this.#remote;
    if (remote === undefined) {
      return 'the peer\'s candidates carried no DTLS fingerprint (it runs --insecure, or the service predates protocol 1.3); both sides need the same --insecure setting';
    }
    // One round trip less each (docs/security.md): the listen side skips the DTLS cookie for the
    // peer's proven source (the punch check it answered under the pair secret already proved that
    // return path, which is all a cookie proves, RFC 6347 §4.2.1); the connect side sends its
    // ENet CONNECT with its Finished (False Start, RFC 7918: the listener's certificate and key
    // exchange signature are checked by then).
    const options = TLSOptions.pinned(this.#identity.generated.identity, remote, role === 'listen' ? { verifiedSource: isPeer } : { falseStart: true });
    if (role === 'listen') host.dtlsServerSetup(options);
    else host.dtlsClientSetup('', options);
    host.on('dtls', (e: SecureHostEvent) => {
      // Only the peer's own handshake decides the link: a stranger that fails one (it needs the
      // cookie, so a reachable address) is refused by DTLS and does not end the link.
      if (e.type === 'error' && isPeer(e.address, e.port)) onRefused(`DTLS handshake with ${e.address}:${e.port} refused: ${e.error.code} (${e.error.message})`);
      // Pinned both ways, so only the peer completes one; the event times the link's DTLS step.
      else if (e.type === 'connected') onSecured?.();
    });
    return undefined;
  }
}
