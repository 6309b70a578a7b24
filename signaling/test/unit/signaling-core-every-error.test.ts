// Every wire error code is reachable, and each answer carries its code (metrics count each).
import { expect } from 'chai';
import { WIRE_ERROR_CODES } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

describe('SignalingCore error paths', () => {
  it('answers with every documented error code in one scripted session', () => {
    const h = new CoreHarness({ maxLobbies: 2, maxConnections: 12, maxIdsPerLobby: 3, messagesPerSecond: 1, messageBurst: 40, passwordFailureBurstPerIp: 2 });
    const fresh = h.open();
    h.expectError(fresh, { type: 'lobby.get' }, 'SIG_HELLO_REQUIRED');
    h.expectError(fresh, { type: 'lobby.explode' }, 'SIG_UNKNOWN_TYPE');
    h.send(fresh, '{');
    h.expectError(fresh, { type: 'hello', versions: [99] }, 'SIG_UNSUPPORTED_VERSION');
    const a = h.client();
    h.expectError(a, { type: 'hello', versions: [1] }, 'SIG_ALREADY_HELLO');
    h.expectError(a, { type: 'lobby.seal' }, 'SIG_NOT_IN_LOBBY');
    h.expectError(a, { type: 'resume', token: 'nope' }, 'SIG_RESUME_REJECTED');
    h.expectError(a, { type: 'lobby.join', lobby: 'nobody' }, 'SIG_LOBBY_NOT_FOUND');
    const { lobby } = h.create(a, { name: 'room', maxPeers: 2, password: 'pw' });
    h.expectError(a, { type: 'lobby.create' }, 'SIG_ALREADY_IN_LOBBY');
    h.expectError(h.client(), { type: 'lobby.create', name: 'room' }, 'SIG_LOBBY_EXISTS');
    const b = h.client();
    h.expectError(b, { type: 'lobby.join', lobby: lobby.code, password: 'no' }, 'SIG_BAD_PASSWORD');
    // A second lobby request while the connection's password check runs; then past the burst of failures.
    const x = h.client(undefined, '10.9.9.9');
    h.holdHashes = true;
    h.send(x, { type: 'lobby.join', rid: 1, lobby: lobby.code, password: 'guess' });
    h.expectError(x, { type: 'lobby.join', lobby: lobby.code, password: 'guess' }, 'SIG_BUSY');
    h.holdHashes = false;
    h.finishHashes();
    h.expectError(x, { type: 'lobby.join', lobby: lobby.code, password: 'guess2' }, 'SIG_BAD_PASSWORD');
    h.expectError(x, { type: 'lobby.join', lobby: lobby.code, password: 'guess3' }, 'SIG_TOO_MANY_ATTEMPTS');
    h.join(b, lobby.code, 'pw');
    h.expectError(h.client(), { type: 'lobby.join', lobby: lobby.code, password: 'pw' }, 'SIG_LOBBY_FULL');
    h.expectError(b, { type: 'lobby.seal' }, 'SIG_NOT_OWNER');
    h.expectError(h.client(), { type: 'lobby.restore', lobby: 'room', key: 'not-the-key', you: 1, members: [], linked: [] }, 'SIG_RESTORE_REJECTED');
    h.expectError(b, { type: 'pair.result', pair: 99, outcome: 'failed', reason: 'timeout' }, 'SIG_UNKNOWN_PAIR');
    const pair = h.takeType(b, 'pair.start')[0]!.pair;
    const cands = Array.from({ length: 16 }, (_, i) => ({ kind: 'host', family: 4, address: '10.0.0.1', port: 100 + i }));
    h.request(b, { type: 'pair.candidates', pair, candidates: cands });
    h.expectError(b, { type: 'pair.candidates', pair, candidates: cands.slice(0, 1) }, 'SIG_BAD_CANDIDATE');
    h.request(b, { type: 'lobby.leave' });
    h.join(b, lobby.code, 'pw');
    h.request(b, { type: 'lobby.leave' });
    h.expectError(b, { type: 'lobby.join', lobby: lobby.code, password: 'pw' }, 'SIG_LOBBY_EXHAUSTED');
    h.expectError(a, { type: 'relay.credentials' }, 'SIG_RELAY_UNAVAILABLE'); // this core offers no relay
    h.request(a, { type: 'lobby.seal' });
    h.expectError(h.client(), { type: 'lobby.join', lobby: lobby.code, password: 'pw' }, 'SIG_LOBBY_SEALED');
    h.create(h.client());
    h.expectError(h.client(), { type: 'lobby.create' }, 'SIG_TOO_MANY_LOBBIES');
    while (h.core.connectionCount < 12) h.open();
    h.open();
    for (let i = 0; i < 60; i++) h.send(a, { type: 'lobby.get', rid: i });
    h.core.shutdown(h.now);
    h.drain();
    h.open();
    // SIG_UNAVAILABLE comes from a cluster node, not the core (test/sim/cluster.test.ts).
    const missing = WIRE_ERROR_CODES.filter((c) => h.core.metrics.errors[c] === 0 && c !== 'SIG_UNAVAILABLE');
    expect(missing).to.deep.equal([]);
  });
});
