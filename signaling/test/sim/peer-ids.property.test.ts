// Property: 100 000 peer ids drawn by the core across lobbies are in 2..2³¹−1 and never repeat
// inside a lobby (issue #5), with the service's real CSPRNG.
import { randomFillSync } from 'node:crypto';
import { expect } from 'chai';
import { SignalingCore } from '../../src/core/signaling-core.js';

const LOBBIES = 200;
const JOINS_PER_LOBBY = 500;

describe('SignalingCore peer ids (property)', function () {
  // About 5 s of CPU, synchronous: 18 s at load 17, past mocha's default 30 s at heavier load.
  this.timeout(180_000);

  it(`hands out ${LOBBIES * JOINS_PER_LOBBY} ids in 2..2³¹−1, unique per lobby, creator = 1`, () => {
    const core = new SignalingCore({
      random: (out) => randomFillSync(out), messagesPerSecond: 0, connectionsPerSecondPerIp: 0,
      maxIdsPerLobby: JOINS_PER_LOBBY + 1, logLevel: 'error',
    });
    let rid = 1;
    let last: string | undefined;
    const send = (conn: number, msg: object): void => {
      const text = JSON.stringify({ ...msg, rid: rid++ });
      core.handleMessage(0, conn, text, text.length);
      for (let o = core.pollOutput(); o !== undefined; o = core.pollOutput()) {
        if (o.kind === 'send' && o.conn === conn && o.text.startsWith('{"type":"lobby.joined"')) last = o.text;
      }
    };
    let conn = 0;
    let total = 0;
    let minId = Number.POSITIVE_INFINITY;
    let maxId = 0;
    for (let l = 0; l < LOBBIES; l++) {
      const owner = ++conn;
      const joiner = ++conn;
      for (const c of [owner, joiner]) {
        core.handleOpen(0, c, '127.0.0.1');
        send(c, { type: 'hello', versions: [1] });
      }
      send(owner, { type: 'lobby.create' });
      const created = JSON.parse(last!) as { you: number; lobby: { code: string } };
      expect(created.you).to.equal(1);
      const seen = new Set<number>([1]);
      for (let j = 0; j < JOINS_PER_LOBBY; j++) {
        last = undefined;
        send(joiner, { type: 'lobby.join', lobby: created.lobby.code });
        const id = (JSON.parse(last!) as { you: number }).you;
        if (!Number.isInteger(id) || id < 2 || id > 0x7fffffff) expect.fail(`id ${id} out of range`);
        if (seen.has(id)) expect.fail(`id ${id} handed out twice in lobby ${created.lobby.code}`);
        seen.add(id);
        minId = Math.min(minId, id);
        maxId = Math.max(maxId, id);
        send(joiner, { type: 'lobby.leave' });
        total++;
      }
      send(owner, { type: 'lobby.leave' });
      core.handleClose(0, owner, 1000);
      core.handleClose(0, joiner, 1000);
    }
    expect(total).to.equal(100_000);
    expect(core.lobbyCount).to.equal(0);
    expect(core.connectionCount).to.equal(0);
    // 100 000 uniform draws over 2³¹: the extremes sit near both ends of the range.
    expect(minId).to.be.below(2 ** 31 / 1000);
    expect(maxId).to.be.above(2 ** 31 - 2 ** 31 / 1000);
  });
});
