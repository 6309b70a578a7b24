// Every numeric limit of the signaling service, with default, range and meaning (core).
// The CLI derives a flag and an environment variable from each entry, so nothing is forgotten.

/** One limit: its key in SignalingLimits and how to document and check it. */
export interface LimitSpec {
  key: keyof SignalingLimits;
  default: number;
  min: number;
  max: number;
  /** One line for --help and docs. */
  help: string;
}

/** The numeric limits of one service instance. Times are ms, sizes bytes, rates per second. */
export interface SignalingLimits {
  maxConnections: number;
  maxLobbies: number;
  defaultMaxPeers: number;
  maxPeersCap: number;
  maxIdsPerLobby: number;
  maxMessageBytes: number;
  helloTimeoutMs: number;
  heartbeatMs: number;
  idleTimeoutMs: number;
  graceMs: number;
  messagesPerSecond: number;
  messageBurst: number;
  connectionsPerSecondPerIp: number;
  connectionBurstPerIp: number;
  maxTrackedIps: number;
  maxBadMessages: number;
  unknownRttMs: number;
  minLeadMs: number;
  stunAnswersPerSecondPerIp: number;
  stunAnswerBurstPerIp: number;
  headersTimeoutMs: number;
  maxPendingHttp: number;
  maxPendingHttpPerIp: number;
  passwordChecksInFlight: number;
  passwordQueueLength: number;
  passwordChecksPerIp: number;
  passwordFailuresPerMinutePerIp: number;
  passwordFailureBurstPerIp: number;
  passwordFailuresPerMinutePerLobby: number;
  passwordFailureBurstPerLobby: number;
}

/** The table of limits, in --help order. */
export const LIMIT_SPECS: readonly LimitSpec[] = Object.freeze([
  { key: 'maxConnections', default: 20_000, min: 1, max: 1_000_000, help: 'open WebSocket connections at most; more are closed with 4009' },
  { key: 'maxLobbies', default: 10_000, min: 1, max: 1_000_000, help: 'lobbies at most; lobby.create then fails with SIG_TOO_MANY_LOBBIES' },
  { key: 'defaultMaxPeers', default: 16, min: 2, max: 4096, help: 'maxPeers of a lobby whose creator did not ask' },
  { key: 'maxPeersCap', default: 64, min: 2, max: 4096, help: 'largest maxPeers a creator may ask for' },
  { key: 'maxIdsPerLobby', default: 1024, min: 2, max: 1_000_000, help: 'peer ids one lobby may hand out in its life (ids are never reused; bounds memory)' },
  { key: 'maxMessageBytes', default: 4096, min: 256, max: 1_048_576, help: 'largest client message; bigger frames close the connection with 1009' },
  { key: 'helloTimeoutMs', default: 5000, min: 100, max: 600_000, help: 'ms a new connection has to send hello (then closed with 4001)' },
  { key: 'heartbeatMs', default: 10_000, min: 100, max: 600_000, help: 'ms between heartbeats (RTT and clock-offset samples)' },
  { key: 'idleTimeoutMs', default: 30_000, min: 200, max: 3_600_000, help: 'ms without any message before a connection is closed with 4003' },
  { key: 'graceMs', default: 30_000, min: 0, max: 3_600_000, help: 'ms a member that lost its connection may resume before it is removed' },
  { key: 'messagesPerSecond', default: 50, min: 0, max: 1_000_000, help: 'messages per second per connection, sustained (0 = unlimited)' },
  { key: 'messageBurst', default: 400, min: 1, max: 1_000_000, help: 'messages a connection may send in a burst (a member of a 64-peer lobby sends ~2 per pair at once)' },
  { key: 'connectionsPerSecondPerIp', default: 20, min: 0, max: 1_000_000, help: 'new connections per second per IP address, sustained (0 = unlimited)' },
  { key: 'connectionBurstPerIp', default: 100, min: 1, max: 1_000_000, help: 'new connections one IP address may open in a burst' },
  { key: 'maxTrackedIps', default: 10_000, min: 1, max: 1_000_000, help: 'IP addresses whose connection rate is remembered (oldest forgotten first)' },
  { key: 'maxBadMessages', default: 16, min: 1, max: 1_000_000, help: 'malformed messages in a row before the connection is closed with 4000' },
  { key: 'unknownRttMs', default: 250, min: 1, max: 60_000, help: 'RTT assumed for a connection not yet measured, when scheduling punches' },
  { key: 'minLeadMs', default: 100, min: 0, max: 60_000, help: 'least ms between pair.start and the punch time (issue #5: max(100 ms, 2 × RTT))' },
  { key: 'stunAnswersPerSecondPerIp', default: 200, min: 0, max: 1_000_000, help: 'STUN answers per second per source IP, sustained (0 = unlimited; answers outsize requests, so this caps reflection)' },
  { key: 'stunAnswerBurstPerIp', default: 2000, min: 1, max: 1_000_000, help: 'STUN answers one source IP may get in a burst (a 32-agent mesh behind one address asks ~1 500 at once)' },
  { key: 'headersTimeoutMs', default: 10_000, min: 100, max: 600_000, help: 'ms a TCP connection has to send its whole HTTP request (WebSocket upgrade, /healthz, /metrics); then it is cut (slowloris)' },
  { key: 'maxPendingHttp', default: 1024, min: 1, max: 1_000_000, help: 'TCP connections whose HTTP request is not in yet, at most; past it the oldest such connection is cut' },
  { key: 'maxPendingHttpPerIp', default: 32, min: 1, max: 1_000_000, help: 'TCP connections one IP address may have whose HTTP request is not in yet; past it its oldest is cut once 1 s old' },
  { key: 'passwordChecksInFlight', default: 2, min: 1, max: 64, help: 'password hashes (scrypt) running at once on the libuv thread pool (4 threads by default; the rest stay free for files and DNS)' },
  { key: 'passwordQueueLength', default: 64, min: 0, max: 10_000, help: 'password checks waiting for a free slot; more are refused with SIG_BUSY' },
  { key: 'passwordChecksPerIp', default: 32, min: 1, max: 10_000, help: 'password checks one IP address may have running or waiting (one per connection; a 32-player LAN party behind one NAT joins at once); more get SIG_BUSY' },
  { key: 'passwordFailuresPerMinutePerIp', default: 10, min: 0, max: 1_000_000, help: 'wrong passwords per minute per IP address, sustained; past the burst, SIG_TOO_MANY_ATTEMPTS (0 = unlimited)' },
  { key: 'passwordFailureBurstPerIp', default: 20, min: 1, max: 1_000_000, help: 'wrong passwords one IP address may give in a burst' },
  { key: 'passwordFailuresPerMinutePerLobby', default: 60, min: 0, max: 1_000_000, help: 'wrong passwords per minute per lobby from all addresses, sustained; past the burst, SIG_TOO_MANY_ATTEMPTS (0 = unlimited)' },
  { key: 'passwordFailureBurstPerLobby', default: 100, min: 1, max: 1_000_000, help: 'wrong passwords one lobby may get in a burst' },
] satisfies LimitSpec[]);

/** The defaults as a SignalingLimits record. */
export function defaultLimits(): SignalingLimits {
  const out = {} as SignalingLimits;
  for (const s of LIMIT_SPECS) out[s.key] = s.default;
  return out;
}
