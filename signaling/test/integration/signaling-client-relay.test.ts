// SignalingClient's relay side (protocol 1.2) against a real SignalingServer over loopback:
// welcome.relay, relayCredentials(), the NAT hint, and --no-relay.
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import type { SignalingServerOptions } from '../../src/adapter/signaling-server.js';
import { SignalingError } from '../../src/errors.js';
import { startTestServer } from '../support/server.js';

describe('SignalingClient relay', () => {
  let server: SignalingServer | undefined;
  const clients: SignalingClient[] = [];
  const start = async (options: SignalingServerOptions): Promise<void> => {
    server = await startTestServer(options);
  };
  const connect = async (): Promise<SignalingClient> => {
    const c = await SignalingClient.connect(server!.url);
    clients.push(c);
    return c;
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.close();
    server = undefined;
  });

  describe('#relayCredentials', () => {
    it('returns coturn credentials valid for the shared secret, and the servers of welcome.relay', async () => {
      await start({ relay: { secret: 's3cret', embedded: false, turnServers: [{ host: '127.0.0.1', port: 3478 }] } });
      const a = await connect();
      expect(a.caps).to.include('relay');
      expect(a.relay).to.deep.equal({ servers: [{ host: '127.0.0.1', port: 3478, transport: 'udp' }] });
      await a.createLobby();
      const before = Math.floor(Date.now() / 1000);
      const cred = await a.relayCredentials();
      const after = Math.floor(Date.now() / 1000);
      const [expiry, member] = cred.username.split(':');
      // Minted during the request, 600 s ahead (± 1 s of clock rounding): a loaded machine may
      // take more than a second to answer, so the window ends at the answer, not at the ask.
      expect(Number(expiry)).to.be.within(before + 599, after + 601);
      expect(member).to.match(/^[A-Za-z0-9_-]{12}\.1$/);
      expect(cred.password).to.equal(createHmac('sha1', 's3cret').update(cred.username).digest('base64'));
      expect(cred).to.deep.include({ ttlS: 600, realm: 'meshpunch', servers: [{ host: '127.0.0.1', port: 3478, transport: 'udp' }] });
    });

    it('rejects with SIG_RELAY_UNAVAILABLE under relay: false (--no-relay), and welcome has no relay', async () => {
      await start({ relay: false });
      const a = await connect();
      expect(a.relay).to.equal(undefined);
      expect(a.caps).to.not.include('relay');
      await a.createLobby();
      const err = await a.relayCredentials().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(SignalingError);
      expect(err).to.deep.include({ code: 'SIG_RELAY_UNAVAILABLE', message: 'this service offers no relay' });
    });
  });

  describe('#sendCandidates', () => {
    it('carries the NAT hint to the other side', async () => {
      await start({ relay: { embedded: false, turnServers: [{ host: '127.0.0.1', port: 3478 }] } });
      const a = await connect();
      const b = await connect();
      const { lobby } = await a.createLobby();
      const startA = a.next('pairStart');
      await b.joinLobby(lobby.code);
      const sa = await startA;
      const got = b.next('candidates');
      const nat = { mapping: 'address-dependent', filtering: 'unknown' } as const;
      await a.sendCandidates(sa.pair, [{ kind: 'relay', family: 4, address: '127.0.0.1', port: 50000 }], { done: true, nat });
      expect(await got).to.deep.equal({ pair: sa.pair, from: 1, candidates: [{ kind: 'relay', family: 4, address: '127.0.0.1', port: 50000 }], done: true, nat });
    });
  });
});
