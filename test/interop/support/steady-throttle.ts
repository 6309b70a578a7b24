// ENet's packet throttle on a loaded machine: every RTT sample that spikes lowers it by its
// deceleration, and below its limit ENet drops unreliable packets on purpose (enet-protocol.md
// §9.1). A test that sends one unreliable packet and waits for it, or reads the throttle, then
// fails for the machine's load (CI: an UNRELIABLE packet of the Godot test never reached
// libenet; the statistics test read PACKET_THROTTLE 5 at load 20).
import { constants, type ENetPacketPeer } from '@meshpunch/enet';

/**
 * Deceleration 0 (interval and acceleration ENet's defaults) on both ends of `peer`'s link: the
 * THROTTLE_CONFIGURE it sends sets the remote's values too, libenet's included. Call it in the
 * service turn that reports the connection: the handshake's RTT sample is the estimator's first
 * and never moves the throttle, so the throttle stays at its limit for the whole session.
 */
export function steadyThrottle(peer: ENetPacketPeer): void {
  peer.throttleConfigure(constants.PEER_PACKET_THROTTLE_INTERVAL, constants.PEER_PACKET_THROTTLE_ACCELERATION, 0);
}
