// The local address a socket bound to the wildcard sends from toward a remote (adapter): the
// kernel's route choice, read from a throwaway UDP socket connect()ed to the remote (connect on
// UDP sends nothing). The link's `local` is that address and the link socket's port (issue #12
// item 10: it showed the first host candidate, which may be another interface's).
import { createSocket } from 'node:dgram';

/** Resolves with the source address toward `address:port`, or undefined when there is no route. Never rejects. */
export function sourceAddressToward(address: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let sock;
    try {
      sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    } catch {
      resolve(undefined);
      return;
    }
    const s = sock;
    const done = (value: string | undefined): void => {
      try {
        s.close();
      } catch {
        // already closed
      }
      resolve(value);
    };
    s.once('error', () => done(undefined));
    try {
      s.connect(port, address, () => {
        try {
          done(s.address().address);
        } catch {
          done(undefined);
        }
      });
    } catch {
      done(undefined);
    }
  });
}
