// Public surface of @meshpunch/dtls: re-exports only.
export { DtlsError, DTLS_ERROR_CODES } from './errors.js';
export type { DtlsErrorCode } from './errors.js';

// Core (sans-IO).
export { DtlsSession } from './core/session.js';
export type { DtlsEndpoint, DtlsEvent, DtlsState, DtlsCloseReason, DtlsCounters } from './core/session.js';
export { DtlsServer } from './core/server.js';
export type { DtlsServerOptions, DtlsServerEvent, DtlsServerCounters } from './core/server.js';
export { DtlsTransport } from './core/transport.js';
export type { DtlsTransportOptions, DtlsTransportEvent, DtlsTransportCounters } from './core/transport.js';
export { resolveDtlsOptions } from './core/options.js';
export type { DtlsOptions, DtlsConfig, DtlsRole } from './core/options.js';
export type { DtlsCrypto, DtlsIdentity, KeyShare, Aead, ParsedCertificate } from './core/crypto-provider.js';
export { CipherSuite, NamedGroup, AlertDescription, ContentType } from './core/constants.js';
export type { CipherSuiteId, NamedGroupId } from './core/constants.js';
export { certificateFingerprint } from './core/certificate-check.js';
export { normalizeFingerprint } from './core/options.js';
export { classifyDatagram, isDtlsDatagram } from './core/demux.js';
export type { DatagramKind } from './core/demux.js';
export { buildSelfSignedCertificate } from './core/x509-builder.js';

// Adapters (node).
export { nodeDtlsCrypto, nodeRandom } from './adapter/node-crypto.js';
export { generateIdentity, identityFromPem, certificateDersFromPem } from './adapter/certificate.js';
export type { GenerateCertificateOptions, GeneratedIdentity } from './adapter/certificate.js';
export { DtlsUdpDriver, monotonicNow } from './adapter/udp-driver.js';
export type { DrivableCore } from './adapter/udp-driver.js';
