// Public surface of @meshpunch/nat: re-exports only.
export { NatError } from './errors.js';
export type { NatErrorCode } from './errors.js';

// IP text helpers (core).
export { ipFamily, normalizeIp, parseIpv4Into, parseIpv6Into, formatIpv4, formatIpv6 } from '@meshpunch/base';

// STUN codec (core): RFC 8489 messages, RFC 5780 attributes.
export {
  MAGIC_COOKIE,
  HEADER_LENGTH as STUN_HEADER_LENGTH,
  TRANSACTION_ID_LENGTH,
  FINGERPRINT_XOR,
  MAX_ATTRIBUTES as STUN_MAX_ATTRIBUTES,
  StunClass,
  StunMethod,
  StunAttr,
  StunErrorCode,
  AddressFamily,
  CHANGE_IP,
  CHANGE_PORT,
  messageType,
  methodOf,
  classOf,
} from './core/stun/constants.js';
// CRC-32 is defined once, in @meshpunch/base (crc32Update/crc32Final there chain a running
// register; the old nat crc32Update chained finished values and is gone rather than silently changed).
export { crc32 } from '@meshpunch/base';
export {
  isStunMessage,
  decodeStunMessage,
  findAttribute,
  unknownRequiredAttributes,
  sameTransactionId,
} from './core/stun/message.js';
export type { StunMessage, StunAttribute, StunDecodeError, StunDecodeResult } from './core/stun/message.js';
export {
  decodeAddressValue,
  getXorMappedAddress,
  getMappedAddress,
  getReflexiveAddress,
  getOtherAddress,
  getResponseOrigin,
  getChangeRequest,
  getUsername,
  getSoftware,
  getErrorCode,
  getUint32Attribute,
} from './core/stun/attributes.js';
export type { StunAddress, ChangeRequest, StunErrorValue } from './core/stun/attributes.js';
export {
  verifyMessageIntegrity,
  verifyFingerprint,
  hasFingerprint,
  shortTermKey,
  timingSafeEqualBytes,
} from './core/stun/integrity.js';
export type { HmacSha1 } from './core/stun/integrity.js';
export { StunWriter } from './core/stun/writer.js';
export {
  newTransactionId,
  encodeBindingRequest,
  encodeBindingSuccess,
  encodeBindingError,
  answerBindingRequest,
} from './core/stun/binding.js';
export type {
  TransportAddress,
  StunIntegrity,
  BindingRequestOptions,
  BindingSuccessOptions,
  BindingErrorOptions,
  BindingServerOptions,
  BindingAnswer,
  BindingRejectReason,
} from './core/stun/binding.js';

export { StunClient, resolveStunClientOptions, STUN_RTO_MS, STUN_RC, STUN_RM } from './core/stun/client.js';
export type {
  StunClientOptions,
  StunClientConfig,
  StunRequestOptions,
  StunClientEvent,
  StunFailureReason,
  StunClientCounters,
} from './core/stun/client.js';

// TURN (RFC 8656) on the STUN codec (core): constants, attributes, ChannelData, REST credentials, client.
export {
  TurnMethod,
  TurnAttr,
  TurnErrorCode,
  TRANSPORT_UDP,
  CHANNEL_MIN,
  CHANNEL_MAX,
  CHANNEL_BIND_MAX,
  CHANNEL_DATA_HEADER,
  DEFAULT_ALLOCATION_LIFETIME_S,
  PERMISSION_LIFETIME_MS,
  CHANNEL_LIFETIME_MS,
  DEFAULT_REALM,
} from './core/turn/constants.js';
export {
  getXorRelayedAddress,
  getXorPeerAddress,
  getXorPeerAddresses,
  getLifetime,
  getChannelNumber,
  getRequestedTransport,
  getRequestedAddressFamily,
  getData,
  getRealm,
  getNonce,
} from './core/turn/attributes.js';
export { ChannelDataError, readChannelData, channelDataLength, encodeChannelData, writeChannelDataHeader } from './core/turn/channel-data.js';
export {
  base64Encode,
  turnRestPassword,
  mintTurnRestCredential,
  parseTurnRestUsername,
  longTermKey,
} from './core/turn/rest-credentials.js';
export type { Md5, TurnRestCredential, TurnRestUsername } from './core/turn/rest-credentials.js';
export { TurnClient } from './core/turn/turn-client.js';
export type {
  TurnClientState,
  TurnClientEvent,
  TurnClientCounters,
  TurnFailureReason,
  TurnCloseReason,
} from './core/turn/turn-client-events.js';
export { resolveTurnClientOptions } from './core/turn/turn-client-config.js';
export { TurnServerCore } from './core/turn/turn-server-core.js';
export type { TurnServerEvent, TurnTransmitTarget, TurnAllocationEndReason } from './core/turn/turn-server-events.js';
export type { TurnServerCounters, TurnRequestMethodLabel, TurnRequestCodeLabel } from './core/turn/turn-server-counters.js';
export { resolveTurnServerOptions } from './core/turn/turn-server-config.js';
export type { TurnServerOptions, TurnServerConfig } from './core/turn/turn-server-config.js';
export { classifyPeerAddress } from './core/turn/peer-address-policy.js';
export type { PeerAddressRules, PeerAddressVerdict } from './core/turn/peer-address-policy.js';
export { StatelessNonce, NONCE_LENGTH } from './core/turn/stateless-nonce.js';
export { RateBucket } from './core/turn/rate-bucket.js';
export type { TurnClientOptions, TurnClientConfig } from './core/turn/turn-client-config.js';

// NAT behaviour names (RFC 4787) and candidates (RFC 8445 §5.1).
export {
  MappingBehavior,
  FilteringBehavior,
  PortAllocation,
  isEndpointDependentMapping,
  canHolePunch,
} from './core/nat-behavior.js';
export type { NatProfile } from './core/nat-behavior.js';
export {
  TYPE_PREFERENCE,
  candidatePriority,
  addressScope,
  hostCandidates,
  sortCandidates,
  validateCandidate,
  pathKindOf,
} from './core/candidates.js';
export type {
  Candidate,
  CandidateKind,
  RankedCandidate,
  AddressScope,
  InterfaceAddress,
  HostCandidateOptions,
  PathKind,
} from './core/candidates.js';

// The punch state machine (core).
export { PunchMachine } from './core/punch/punch-machine.js';
export type {
  PunchState,
  PunchFailureReason,
  PunchPath,
  PunchCheckTimeline,
  PunchEvent,
  PunchCounters,
} from './core/punch/punch-machine.js';
export { resolvePunchOptions } from './core/punch/punch-config.js';
export type { PunchOptions, PunchConfig, PunchRole } from './core/punch/punch-config.js';

// NAT behaviour discovery (RFC 5780), sans-IO.
export { NatDiscovery } from './core/discovery/nat-discovery.js';
export type { NatDiscoveryOptions, NatDiscoveryReport, NatDiscoveryEvent } from './core/discovery/nat-discovery.js';
export {
  classifyMappingRfc5780,
  classifyMappingPlain,
  classifyPortAllocation,
  SEQUENTIAL_MAX_STEP,
} from './core/discovery/classify.js';
export type { MappingSample, PlainMappingResult, PortSample } from './core/discovery/classify.js';

// Adapters (node).
export { nodeHmacSha1, nodeMd5, nodeRandom } from './adapter/hmac-sha1.js';

// UPnP IGD (core codecs): SSDP, device description, SOAP, mapping decisions.
export {
  SSDP_MULTICAST_ADDRESS,
  SSDP_PORT,
  SSDP_MAX_RESPONSE_BYTES,
  IGD_SEARCH_TARGETS,
  encodeMSearch,
  parseSsdpResponse,
  locationMatchesSender,
} from './core/ssdp.js';
export type { SsdpResponse, SsdpParseError, SsdpParseResult } from './core/ssdp.js';
export { parseUpnpXml } from './core/upnp-xml.js';
export type { XmlNode, UpnpXmlError, UpnpXmlResult } from './core/upnp-xml.js';
export { parseIgdDescription, IGD_DESCRIPTION_MAX_CHARS, WAN_SERVICE_TYPES } from './core/igd-description.js';
export type { IgdService, IgdDescriptionError, IgdDescriptionResult } from './core/igd-description.js';
export {
  UpnpErrorCode,
  SOAP_RESPONSE_MAX_CHARS,
  encodeSoapRequest,
  parseSoapResponse,
  addPortMappingArgs,
  addAnyPortMappingArgs,
  portMappingKeyArgs,
  decodeMappingEntry,
  parsePort,
} from './core/upnp-soap.js';
export type { SoapArgs, SoapRequest, SoapResult, UpnpProtocol, UpnpMappingArgs, UpnpMappingEntry } from './core/upnp-soap.js';
export {
  IGD2_MAX_LEASE_S,
  MIN_LEASE_S,
  DEFAULT_LEASE_S,
  MAX_PORT_ATTEMPTS,
  retryAfterFault,
  clampLease,
  refreshDelayMs,
  isUsableExternalAddress,
  isPrivateIpv4,
} from './core/upnp-mapping-plan.js';
export type { MappingRetry, MappingAttemptState } from './core/upnp-mapping-plan.js';

// UPnP IGD (adapters): SSDP search, gateway, port mapping.
export { ssdpSearch, SSDP_SEND_SCHEDULE_MS } from './adapter/ssdp-search.js';
export type { SsdpSearchOptions, SsdpAnswer, SsdpSearchStats } from './adapter/ssdp-search.js';
export { upnpHttp } from './adapter/upnp-http.js';
export type { UpnpHttpOptions, UpnpHttpResponse } from './adapter/upnp-http.js';
export { UpnpGateway, discoverUpnpGateway, UPNP_HTTP_TIMEOUT_MS } from './adapter/upnp-gateway.js';
export type { UpnpGatewayOptions, UpnpDiscoverOptions } from './adapter/upnp-gateway.js';
export { UpnpPortMapping, openUpnpMapping } from './adapter/upnp-mapping.js';
export type { UpnpMappingOptions, UpnpMappingEvents, UpnpVerification } from './adapter/upnp-mapping.js';
export { monotonicNow, monotonicFromWallClock } from '@meshpunch/base';
export { udpTransport } from './adapter/transport.js';
export type { DatagramTransport, DatagramSource, UdpTransport, UdpTransportCounters } from './adapter/transport.js';
export { createInterceptTransport } from './adapter/intercept-transport.js';
export type { InterceptTransport } from './adapter/intercept-transport.js';
export { CoreRunner } from './adapter/core-runner.js';
export type { RunnableCore } from './adapter/core-runner.js';
export { parseStunServer, resolveStunServer, STUN_DEFAULT_PORT } from './adapter/stun-server-address.js';
export type { StunServerSpec } from './adapter/stun-server-address.js';
export { stunBinding } from './adapter/stun-binding.js';
export type { StunBindingOptions, StunBindingResult } from './adapter/stun-binding.js';
export { discoverNat } from './adapter/discover-nat.js';
export type { DiscoverNatOptions } from './adapter/discover-nat.js';
export { gatherCandidates } from './adapter/gather-candidates.js';
export type { GatherOptions, GatherResult } from './adapter/gather-candidates.js';
export { PunchSession } from './adapter/punch-session.js';
export { remoteCandidateRejection, sourceRejection } from './core/candidate-policy.js';
export type { CandidateRejection, RejectedCandidate } from './core/candidate-policy.js';
export type { PunchSessionOptions } from './adapter/punch-session.js';

// TURN adapters: a TurnClient on an existing socket, the embedded relay server.
export { TurnSocketClient, attachTurnClient } from './adapter/turn-client-socket.js';
export type { TurnSocketClientOptions, TurnSocketClientEvents, TurnAllocation } from './adapter/turn-client-socket.js';
export { TurnRelayServer } from './adapter/turn-relay-server.js';
export type { TurnRelayServerOptions, TurnRelayServerEvents } from './adapter/turn-relay-server.js';
export { ipLiteralLookup } from './adapter/ip-literal-lookup.js';

// NAT-PMP (RFC 6886): codec (core) and client (adapter).
export {
  NATPMP_PORT,
  NATPMP_INITIAL_RTO_MS,
  NATPMP_RECOMMENDED_LIFETIME_S,
  NatPmpResult,
  encodeExternalAddressRequest,
  encodeMapRequest,
  decodeNatPmpResponse,
  natPmpResultName,
} from './core/natpmp.js';
export type { NatPmpProtocol, NatPmpMapRequest, NatPmpResponse, NatPmpDecodeError, NatPmpDecodeResult } from './core/natpmp.js';
export { NatPmpClient, NatPmpPortMapping, openNatPmpMapping, defaultGatewayIpv4 } from './adapter/natpmp-client.js';
export type { NatPmpClientOptions, NatPmpGrant, NatPmpMappingEvents, NatPmpMappingOptions } from './adapter/natpmp-client.js';
