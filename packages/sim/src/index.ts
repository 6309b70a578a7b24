// @meshpunch/sim: the deterministic simulator kit for every package's tests (docs/design.md §6).
export { SimClock } from './clock.js';
export { Prng, seedFromEnv } from './prng.js';
export { SimNet, PERFECT_LINK } from './net.js';
export type { LinkConditions, Datagram, Receiver, Gateway, SimNetOptions, SimNetCounters } from './net.js';
export { SimDriver, SimLimitError } from './driver.js';
export { SimError } from './errors.js';
export type { SimErrorCode } from './errors.js';
export type { RunLimits } from './driver.js';
export { endpointKey } from './endpoint.js';
export type { Endpoint, MutableEndpoint, SansIoCore } from './endpoint.js';
export { NatBox, mappingKeyOf, filterKeyOf, natPreset } from './nat-box.js';
export type { NatPresetName, NatBehavior, PortAllocation, TupleKey, NatBoxOptions, NatBoxCounters } from './nat-box.js';
export { SimStreamService, SimStreamClient } from './stream.js';
export type { StreamServiceCore, StreamServiceOutput, StreamClientCore, StreamClientEvent } from './stream.js';
