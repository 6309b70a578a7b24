// One STUN Binding transaction from an existing socket (adapter): the agent asks for its public
// mapping from the pair's own socket, so the mapping STUN reports is the one ENet will use.
import { NatError } from '../errors.js';
import type { StunAddress } from '../core/stun/attributes.js';
import type { TransportAddress } from '../core/stun/binding.js';
import { StunClient, type StunClientEvent, type StunRequestOptions } from '../core/stun/client.js';
import { CoreRunner } from './core-runner.js';
import { monotonicNow } from '@meshpunch/base';
import { nodeRandom } from './hmac-sha1.js';
import { resolveStunServer, type StunServerSpec } from './stun-server-address.js';
import type { DatagramTransport } from './transport.js';

/** Options of `stunBinding`; the schedule defaults to RFC 8489's (39.5 s to give up). */
export interface StunBindingOptions extends StunRequestOptions {
  /** Resolve the server name to this address family (match the socket: 4 for udp4). */
  family?: 4 | 6;
  /** Aborts the transaction (rejects with NAT_STUN_CANCELLED). */
  signal?: AbortSignal;
}

/** A successful Binding. */
export interface StunBindingResult {
  /** The server actually asked (resolved). */
  readonly server: TransportAddress;
  /** This socket as the server saw it. */
  readonly mapped: StunAddress;
  readonly otherAddress: StunAddress | undefined;
  readonly responseOrigin: StunAddress | undefined;
  readonly rttMs: number;
}

/**
 * Sends a Binding request through `transport` and resolves with the mapped address.
 * @throws NatError ERR_CANT_RESOLVE (name), NAT_STUN_TIMEOUT (no answer within the schedule),
 *   NAT_STUN_ERROR_RESPONSE (details.code), NAT_STUN_BAD_RESPONSE, NAT_STUN_CANCELLED (signal).
 */
export async function stunBinding(
  transport: DatagramTransport,
  server: string | StunServerSpec | TransportAddress,
  options: StunBindingOptions = {},
): Promise<StunBindingResult> {
  const target = await resolveStunServer(server, options.family);
  if (options.signal?.aborted) throw new NatError('NAT_STUN_CANCELLED', 'STUN request was cancelled before it was sent');
  const client = new StunClient({ random: nodeRandom });
  return new Promise<StunBindingResult>((resolve, reject) => {
    let settled = false;
    const runner = new CoreRunner(transport, client, () => {
      for (let e = client.pollEvent(); e; e = client.pollEvent()) finish(e);
    });
    const onAbort = () => {
      client.cancel(id);
      runner.kick();
    };
    const finish = (e: StunClientEvent) => {
      if (settled) return;
      settled = true;
      runner.stop();
      options.signal?.removeEventListener('abort', onAbort);
      if (e.type === 'stunSuccess') {
        resolve({ server: target, mapped: e.mapped, otherAddress: e.otherAddress, responseOrigin: e.responseOrigin, rttMs: e.rttMs });
        return;
      }
      const where = `${target.address}:${target.port}`;
      const details = { server: where, requestsSent: e.requestsSent, code: e.code };
      if (e.reason === 'timeout') reject(new NatError('NAT_STUN_TIMEOUT', `STUN server ${where} did not answer ${e.requestsSent} requests`, details));
      else if (e.reason === 'error-response') reject(new NatError('NAT_STUN_ERROR_RESPONSE', `STUN server ${where} answered with error ${e.code}`, details));
      else if (e.reason === 'bad-response') reject(new NatError('NAT_STUN_BAD_RESPONSE', `STUN server ${where} answered without a mapped address`, details));
      else reject(new NatError('NAT_STUN_CANCELLED', `STUN request to ${where} was cancelled`, details));
    };
    const id = client.request(monotonicNow(), target, options);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    runner.start();
  });
}
