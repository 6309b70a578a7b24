// The NAT toolkit package's one error class and its code union (docs/design.md §4).
import { MeshpunchError } from '@meshpunch/base';

/** Every code a NatError can carry; each has a line in docs/errors.md. */
export type NatErrorCode =
  | 'ERR_INVALID_PARAMETER'
  | 'ERR_UNCONFIGURED'
  | 'ERR_CANT_RESOLVE'
  | 'ERR_ALREADY_IN_USE'
  | 'NAT_STUN_TIMEOUT'
  | 'NAT_STUN_ERROR_RESPONSE'
  | 'NAT_STUN_BAD_RESPONSE'
  | 'NAT_STUN_CANCELLED'
  | 'NAT_UPNP_NO_GATEWAY'
  | 'NAT_UPNP_TIMEOUT'
  | 'NAT_UPNP_HTTP_ERROR'
  | 'NAT_UPNP_BAD_RESPONSE'
  | 'NAT_UPNP_SOAP_FAULT'
  | 'NAT_UPNP_MAPPING_FAILED'
  | 'NAT_UPNP_VERIFY_FAILED'
  | 'NAT_UPNP_CLOSED'
  | 'NAT_PMP_TIMEOUT'
  | 'NAT_PMP_RESULT'
  | 'NAT_PMP_BAD_RESPONSE'
  | 'NAT_PUNCH_FAILED'
  | 'NAT_TURN_FAILED'
  | 'NAT_TURN_CLOSED';

/** Error thrown or rejected by this package; `code` is stable, `message` is for people. */
export class NatError extends MeshpunchError<NatErrorCode> {
  override readonly name: string = 'NatError';
}
