// Which sends the core marks `answer` (outbox.ts): the answers a client waits on before its next
// step (welcome, lobby.joined, resume.ok), which the adapter writes at the end of the drain
// instead of the turn's (issue 19: join latency). Events and the `ok`s of relayed candidates
// stay unmarked, so they keep their one write per socket per turn.
import { expect } from 'chai';
import { Prng } from '@meshpunch/sim';
import { SignalingCore } from '../../src/core/signaling-core.js';

interface Sent { conn: number; type: string; answer: boolean }

function setup(): { core: SignalingCore; send: (conn: number, msg: object) => Sent[]; now: number } {
  const prng = new Prng(0x5eed);
  const core = new SignalingCore({ random: (out) => prng.fill(out), connectionsPerSecondPerIp: 0 });
  const t = { now: 1000 };
  const send = (conn: number, msg: object): Sent[] => {
    const text = JSON.stringify(msg);
    core.handleMessage(t.now, conn, text, Buffer.byteLength(text));
    const out: Sent[] = [];
    for (let o = core.pollOutput(); o !== undefined; o = core.pollOutput()) {
      if (o.kind === 'send') out.push({ conn: o.conn, type: (JSON.parse(o.text) as { type: string }).type, answer: o.answer === true });
    }
    return out;
  };
  return { core, send, now: t.now };
}

describe('SignalingCore answers', () => {
  it('marks welcome, lobby.joined and resume.ok as answers; peer.joined, pair.start, ok and relayed candidates not', () => {
    const { core, send, now } = setup();
    core.handleOpen(now, 1, '10.0.0.1');
    core.handleOpen(now, 2, '10.0.0.2');
    expect(send(1, { type: 'hello', rid: 1, versions: [1] })).to.deep.equal([{ conn: 1, type: 'welcome', answer: true }]);
    const created = send(1, { type: 'lobby.create', rid: 2 });
    expect(created).to.deep.equal([{ conn: 1, type: 'lobby.joined', answer: true }]);
    send(2, { type: 'hello', rid: 1, versions: [1] });
    const code = core.snapshot().lobbies[0]!.code;
    const joined = send(2, { type: 'lobby.join', rid: 2, lobby: code });
    expect(joined).to.deep.equal([
      { conn: 1, type: 'peer.joined', answer: false },
      { conn: 2, type: 'lobby.joined', answer: true },
      { conn: 1, type: 'pair.start', answer: false },
      { conn: 2, type: 'pair.start', answer: false },
    ]);
    const relayed = send(2, { type: 'pair.candidates', rid: 3, pair: 1, candidates: [{ kind: 'host', family: 4, address: '10.0.0.2', port: 4000 }], done: true });
    expect(relayed).to.have.deep.members([
      { conn: 2, type: 'ok', answer: false },
      { conn: 1, type: 'pair.candidates', answer: false },
    ]);
  });

  it('marks resume.ok as an answer', () => {
    const { core, send, now } = setup();
    core.handleOpen(now, 1, '10.0.0.1');
    send(1, { type: 'hello', rid: 1, versions: [1] });
    core.handleMessage(now, 1, JSON.stringify({ type: 'lobby.create', rid: 2 }), 30);
    let token = '';
    for (let o = core.pollOutput(); o !== undefined; o = core.pollOutput()) {
      if (o.kind === 'send') token = (JSON.parse(o.text) as { token: string }).token;
    }
    core.handleClose(now, 1, 1006);
    while (core.pollOutput() !== undefined);
    core.handleOpen(now, 2, '10.0.0.1');
    send(2, { type: 'hello', rid: 1, versions: [1] });
    expect(send(2, { type: 'resume', rid: 2, token })).to.deep.equal([{ conn: 2, type: 'resume.ok', answer: true }]);
  });
});
