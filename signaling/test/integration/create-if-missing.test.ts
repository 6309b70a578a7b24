// SignalingClient#joinLobby with createIfMissing against a real SignalingServer over loopback.
import { expect } from 'chai';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { SignalingError } from '../../src/errors.js';
import { startTestServer } from '../support/server.js';

describe('SignalingClient#joinLobby createIfMissing', () => {
  let server: SignalingServer;
  const clients: SignalingClient[] = [];
  const connect = async (caps?: string[]): Promise<SignalingClient> => {
    const c = await SignalingClient.connect(server.url, caps === undefined ? {} : { caps });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startTestServer();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('lets three clients sending the same join at once form one lobby with one creator', async () => {
    const cs = await Promise.all([connect(), connect(), connect()]);
    expect(cs[0]!.caps).to.include('create-if-missing');
    const joined = await Promise.all(cs.map((c) => c.joinLobby('same-cmd', { createIfMissing: true, maxPeers: 4 })));
    expect(joined.map((j) => j.you).filter((id) => id === 1)).to.have.length(1);
    expect(new Set(joined.map((j) => j.you)).size).to.equal(3);
    const last = joined.reduce((a, b) => (a.lobby.members.length >= b.lobby.members.length ? a : b));
    expect(last.lobby).to.deep.include({ code: 'same-cmd', maxPeers: 4 });
    expect(last.lobby.members).to.have.length(3);
  });

  it('refuses createIfMissing locally when the service did not agree to the capability', async () => {
    const c = await connect(['resume']);
    const err = await c.joinLobby('no-cap', { createIfMissing: true }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(SignalingError);
    expect((err as SignalingError).code).to.equal('SIG_CLIENT_PROTOCOL');
    expect((err as SignalingError).message).to.include('create-if-missing');
  });

  it('with claimSecret, a lobby of that name created first by someone else does not take the group in (name squatting)', async () => {
    const squatter = await connect();
    await squatter.createLobby({ name: 'lan-night', password: 'mine', maxPeers: 2 });
    const group = await Promise.all([connect(), connect(), connect()]);
    expect(group[0]!.caps).to.include('claim');
    const joined = [];
    for (const c of group) joined.push(await c.joinLobby('lan-night', { createIfMissing: true, claimSecret: 'our table by the window', maxPeers: 4 }));
    expect(joined[0]!.you).to.equal(1);
    expect(joined[2]!.lobby).to.deep.include({ code: 'lan-night', maxPeers: 4, hasPassword: false });
    expect(joined[2]!.lobby.members.map((m) => m.id).sort()).to.deep.equal(joined.map((j) => j.you).sort());
    expect(squatter.lobby!.members).to.have.length(1);
    // Another secret is another lobby; no secret finds the squatter's.
    const stranger = await connect();
    expect((await stranger.joinLobby('lan-night', { createIfMissing: true, claimSecret: 'guess' })).you).to.equal(1);
  });

  it('refuses claimSecret locally when the service did not agree to the claim capability', async () => {
    const c = await connect(['create-if-missing']);
    const err = await c.joinLobby('no-claim', { createIfMissing: true, claimSecret: 'x' }).then(() => undefined, (e: unknown) => e);
    expect((err as SignalingError).code).to.equal('SIG_CLIENT_PROTOCOL');
    expect((err as SignalingError).message).to.include('claim');
    const err2 = await c.createLobby({ claimSecret: 'x' }).then(() => undefined, (e: unknown) => e);
    expect((err2 as SignalingError).code).to.equal('ERR_INVALID_PARAMETER');
  });
});
