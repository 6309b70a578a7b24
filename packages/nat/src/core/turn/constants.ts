// TURN wire constants (RFC 8656 §18; RFC 8489 §18.3 for the long-term credential attributes) on
// top of the STUN codec in ../stun — core, no I/O. relay.md §1 says which of them meshpunch uses.

/** TURN methods (RFC 8656 §18.1). Requests use Allocate…ChannelBind; Send and Data are indications. */
export const TurnMethod = {
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
} as const;
/** A TURN method value. */
export type TurnMethod = (typeof TurnMethod)[keyof typeof TurnMethod];

/** TURN attribute types (RFC 8656 §18.2) plus the RFC 8489 ones TURN auth needs. */
export const TurnAttr = {
  /** RFC 8656 §18.2 */
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  ReservationToken: 0x0022,
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  Icmp: 0x8004,
  /** RFC 8489 §14.3, §14.9, §14.10 (long-term credentials). */
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorMappedAddress: 0x0020,
  Software: 0x8022,
  Fingerprint: 0x8028,
} as const;

/** TURN error codes (RFC 8656 §18.3) and the RFC 8489 ones a TURN server answers with. */
export const TurnErrorCode = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  UnknownAttribute: 420,
  AllocationMismatch: 437,
  StaleNonce: 438,
  AddressFamilyNotSupported: 440,
  WrongCredentials: 441,
  UnsupportedTransportProtocol: 442,
  PeerAddressFamilyMismatch: 443,
  AllocationQuotaReached: 486,
  ServerError: 500,
  InsufficientCapacity: 508,
} as const;

/** REQUESTED-TRANSPORT protocol number for UDP (RFC 8656 §18.2: IANA protocol number 17). */
export const TRANSPORT_UDP = 17;

/** Lowest channel number a server accepts (RFC 8656 §12: 0x4000..0x4FFF; coturn accepts to 0x7FFF). */
export const CHANNEL_MIN = 0x4000;
/**
 * Highest channel number accepted on the wire. RFC 8656 §12 binds only 0x4000..0x4FFF, but
 * `turnutils_uclient` binds 0x5751 and 0x74bf (relay.md §2(b) [v]), and coturn takes them.
 */
export const CHANNEL_MAX = 0x7fff;
/** Highest channel number our client binds (RFC 8656 §12: 0x4000..0x4FFF; relay.md §1). */
export const CHANNEL_BIND_MAX = 0x4fff;

/** Bytes of the ChannelData header: channel (16) + length (16) (RFC 8656 §12.4). */
export const CHANNEL_DATA_HEADER = 4;

/** Default allocation lifetime the server grants, s (RFC 8656 §3.2: 10 minutes). */
export const DEFAULT_ALLOCATION_LIFETIME_S = 600;
/** Permission lifetime, ms (RFC 8656 §9: 300 s, not changeable). */
export const PERMISSION_LIFETIME_MS = 300_000;
/** Channel binding lifetime, ms (RFC 8656 §12: 10 minutes). */
export const CHANNEL_LIFETIME_MS = 600_000;
/** The realm meshpunch's embedded relay answers with (relay.md §2(a): `realm=meshpunch`). */
export const DEFAULT_REALM = 'meshpunch';
