// The DTLS package's one error class and its code union (docs/design.md §4).
import { MeshpunchError } from '@meshpunch/base';

/** Every code a DtlsError can carry; each has a line in docs/errors.md (a test checks). */
export const DTLS_ERROR_CODES = [
  'ERR_INVALID_PARAMETER',
  'ERR_UNCONFIGURED',
  'ERR_ALREADY_IN_USE',
  'DTLS_HANDSHAKE_FAILURE',
  'DTLS_HANDSHAKE_TIMEOUT',
  'DTLS_CERTIFICATE_REQUIRED',
  'DTLS_CERTIFICATE_UNTRUSTED',
  'DTLS_CERTIFICATE_EXPIRED',
  'DTLS_CERTIFICATE_HOSTNAME_MISMATCH',
  'DTLS_FINGERPRINT_MISMATCH',
  'DTLS_BAD_SIGNATURE',
  'DTLS_BAD_FINISHED',
  'DTLS_ALERT_RECEIVED',
] as const;

export type DtlsErrorCode = (typeof DTLS_ERROR_CODES)[number];

/** Error thrown for API misuse, or carried by an `error` event for a failed handshake or link. */
export class DtlsError extends MeshpunchError<DtlsErrorCode> {
  override readonly name: string = 'DtlsError';
  /** The TLS alert description (RFC 5246 §7.2) sent or received for this error, if any. */
  readonly alert: number | undefined;

  constructor(code: DtlsErrorCode, message: string, details: Record<string, unknown> = {}, alert?: number, cause?: unknown) {
    super(code, message, details, cause);
    this.alert = alert;
  }
}
