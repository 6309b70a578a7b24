// What each side accepts of the other's handshake messages (core): the server's choice of suite and
// group from a ClientHello, the client's checks of the ServerHello and ServerKeyExchange, and the
// peer's certificate chain (parsed, P-256, then certificate-check.ts). Each returns the Failure to
// end the handshake with, or undefined; DtlsSession (session.ts) moves through its steps on them.
import { concat } from './bytes.js';
import { certificateFingerprint, checkPeerChain } from './certificate-check.js';
import { AlertDescription, DTLS_1_2, ECDSA_SECP256R1_SHA256, ExtensionType, NAMED_CURVE, type CipherSuiteId, type NamedGroupId } from './constants.js';
import type { ParsedCertificate } from './crypto-provider.js';
import { decodeCertificate, findExtension, readU16List, type ClientHello, type ServerHello, type ServerKeyExchange } from './handshake-messages.js';
import { decodeError, noEms, type Failure, type Handshake } from './handshake-state.js';
import type { DtlsConfig } from './options.js';

/** Server: picks suite and group from the ClientHello into `hs` (with its random); requires EMS and our signature scheme. */
export function chooseServerParameters(c: DtlsConfig, hs: Handshake, ch: ClientHello): Failure | undefined {
  // DTLS versions count down: 1.2 = 0xfefd < 1.0 = 0xfeff; a client offering 1.0 only is refused.
  if (ch.version > DTLS_1_2) return { code: 'DTLS_HANDSHAKE_FAILURE', message: `client offers version 0x${ch.version.toString(16)}, DTLS 1.2 (0xfefd) is required`, alert: AlertDescription.ProtocolVersion };
  const suite = c.cipherSuites.find((s) => ch.cipherSuites.includes(s));
  if (suite === undefined) return { code: 'DTLS_HANDSHAKE_FAILURE', message: 'client offers none of our cipher suites', alert: AlertDescription.HandshakeFailure };
  const groupsExt = findExtension(ch.extensions, ExtensionType.SupportedGroups);
  const offered = groupsExt === undefined ? [] : readU16List(groupsExt.data);
  const group = c.groups.find((g) => offered.includes(g));
  if (group === undefined) return { code: 'DTLS_HANDSHAKE_FAILURE', message: 'client offers none of our key exchange groups', alert: AlertDescription.HandshakeFailure };
  const sigExt = findExtension(ch.extensions, ExtensionType.SignatureAlgorithms);
  if (sigExt === undefined || !readU16List(sigExt.data).includes(ECDSA_SECP256R1_SHA256)) return { code: 'DTLS_HANDSHAKE_FAILURE', message: 'client does not accept ecdsa_secp256r1_sha256 signatures', alert: AlertDescription.HandshakeFailure };
  if (findExtension(ch.extensions, ExtensionType.ExtendedMasterSecret) === undefined) return noEms();
  if (ch.compressionMethods.indexOf(0) < 0) return { code: 'DTLS_HANDSHAKE_FAILURE', message: 'client does not offer null compression', alert: AlertDescription.IllegalParameter };
  hs.suite = suite;
  hs.group = group;
  hs.clientRandom = ch.random.slice();
  return undefined;
}

/** Client: the server chose DTLS 1.2, a suite we offered, EMS, and no renegotiation (RFC 5746 §3.4). */
export function checkServerHello(c: DtlsConfig, sh: ServerHello): Failure | undefined {
  if (sh.version !== DTLS_1_2) return { code: 'DTLS_HANDSHAKE_FAILURE', message: `server chose version 0x${sh.version.toString(16)}, only DTLS 1.2 (0xfefd) is spoken`, alert: AlertDescription.ProtocolVersion };
  if (!c.cipherSuites.includes(sh.cipherSuite as CipherSuiteId) || sh.compressionMethod !== 0) return { code: 'DTLS_HANDSHAKE_FAILURE', message: `server chose suite 0x${sh.cipherSuite.toString(16)} we did not offer`, alert: AlertDescription.IllegalParameter };
  if (findExtension(sh.extensions, ExtensionType.ExtendedMasterSecret) === undefined) return noEms();
  const ri = findExtension(sh.extensions, ExtensionType.RenegotiationInfo);
  if (ri !== undefined && (ri.data.length !== 1 || ri.data[0] !== 0)) return { code: 'DTLS_HANDSHAKE_FAILURE', message: 'server renegotiation_info is not empty on a first handshake (RFC 5746 §3.4)', alert: AlertDescription.HandshakeFailure };
  return undefined;
}

/** Client: the ServerKeyExchange names a group we offered and is signed by the server's leaf (`hs.peerLeaf`). */
export function checkServerKeyExchange(c: DtlsConfig, hs: Handshake, ske: ServerKeyExchange): Failure | undefined {
  if (ske.curveType !== NAMED_CURVE || !c.groups.includes(ske.group as NamedGroupId)) return { code: 'DTLS_HANDSHAKE_FAILURE', message: `server chose group ${ske.group} we did not offer`, alert: AlertDescription.IllegalParameter };
  if (ske.signatureScheme !== ECDSA_SECP256R1_SHA256) return { code: 'DTLS_HANDSHAKE_FAILURE', message: `server signed with scheme 0x${ske.signatureScheme.toString(16)}, not ecdsa_secp256r1_sha256`, alert: AlertDescription.IllegalParameter };
  const signed = concat([hs.clientRandom, hs.serverRandom, ske.params]);
  if (!hs.peerLeaf!.verifySignature(signed, ske.signature)) return { code: 'DTLS_BAD_SIGNATURE', message: 'ServerKeyExchange signature does not verify with the server certificate', alert: AlertDescription.DecryptError };
  return undefined;
}

/** The peer's accepted leaf and its fingerprint; both undefined for an empty chain that was allowed. */
export type PeerChain = { failure: Failure } | { failure: undefined; leaf: ParsedCertificate | undefined; fingerprint: string | undefined };

/** Parses and checks the peer's Certificate body; an empty chain is allowed only when `required` is false. */
export function readPeerChain(c: DtlsConfig, body: Uint8Array, required: boolean): PeerChain {
  const ders = decodeCertificate(body);
  if (ders === undefined) return { failure: decodeError('Certificate') };
  if (ders.length === 0) {
    return required
      ? { failure: { code: 'DTLS_CERTIFICATE_REQUIRED', message: 'peer sent no certificate but one is required', alert: AlertDescription.HandshakeFailure } }
      : { failure: undefined, leaf: undefined, fingerprint: undefined };
  }
  const chain: ParsedCertificate[] = [];
  for (const der of ders) {
    const p = c.crypto.parseCertificate(der);
    if (p === undefined) return { failure: { code: 'DTLS_HANDSHAKE_FAILURE', message: 'peer certificate is not a readable X.509 certificate', alert: AlertDescription.BadCertificate } };
    chain.push(p);
  }
  const leaf = chain[0]!;
  if (!leaf.isEcdsaP256) return { failure: { code: 'DTLS_HANDSHAKE_FAILURE', message: 'peer certificate key is not ECDSA P-256, the only key our suites use', alert: AlertDescription.BadCertificate } };
  const fingerprint = certificateFingerprint(c.crypto, leaf.der);
  const failure = checkPeerChain(c, chain, fingerprint);
  if (failure !== undefined) return { failure };
  return { failure: undefined, leaf, fingerprint };
}
