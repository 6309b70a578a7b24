// HTTP for UPnP (adapter): GET of a device description and POST of a SOAP action, each with a
// time limit and a cap on the response size, so a broken or hostile router cannot hang the
// client or fill its memory.
import { request } from 'node:http';
import { NatError } from '../errors.js';

/** What an HTTP exchange with the gateway returned. */
export interface UpnpHttpResponse {
  readonly status: number;
  readonly body: string;
  /** The client's own address on the connection: the LAN address the router sees. */
  readonly localAddress: string;
}

/** Options of {@link upnpHttp}. */
export interface UpnpHttpOptions {
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whole exchange limit in ms. */
  readonly timeoutMs: number;
  /** Body limit in bytes; a longer body fails with NAT_UPNP_BAD_RESPONSE. */
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

/**
 * One HTTP/1.1 exchange without keep-alive.
 * @throws NatError NAT_UPNP_TIMEOUT (no complete answer in time), NAT_UPNP_HTTP_ERROR (connection
 *   failed), NAT_UPNP_BAD_RESPONSE (body over maxBytes), NAT_UPNP_CLOSED (aborted).
 */
export function upnpHttp(url: string, opts: UpnpHttpOptions): Promise<UpnpHttpResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: NatError | undefined, res?: UpnpHttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else {
        resolve(res!);
      }
    };
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
    const req = request(url, {
      method: opts.method,
      agent: false,
      headers: { ...opts.headers, Connection: 'close', ...(body ? { 'Content-Length': String(body.length) } : {}) },
    });
    const timer = setTimeout(() => finish(new NatError('NAT_UPNP_TIMEOUT', `${opts.method} ${url} got no complete answer within ${opts.timeoutMs} ms`,
      { url, timeoutMs: opts.timeoutMs })), opts.timeoutMs);
    const onAbort = (): void => finish(new NatError('NAT_UPNP_CLOSED', `${opts.method} ${url} was aborted`, { url }));
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let localAddress = '';
    req.on('socket', (sock) => {
      sock.on('connect', () => {
        localAddress = sock.localAddress ?? '';
      });
    });
    req.on('error', (err) => finish(new NatError('NAT_UPNP_HTTP_ERROR', `${opts.method} ${url} failed: ${err.message}`, { url }, err)));
    req.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        finish(tooLarge(url, opts.maxBytes, declared));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) {
          finish(tooLarge(url, opts.maxBytes, size));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(new NatError('NAT_UPNP_HTTP_ERROR', `${opts.method} ${url} failed: ${err.message}`, { url }, err)));
      res.on('end', () => {
        if (localAddress === '') localAddress = res.socket?.localAddress ?? '';
        finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), localAddress });
      });
    });
    req.end(body);
  });
}

function tooLarge(url: string, limit: number, got: number): NatError {
  return new NatError('NAT_UPNP_BAD_RESPONSE', `response from ${url} exceeds ${limit} bytes (got at least ${got})`, { url, limit, got });
}
