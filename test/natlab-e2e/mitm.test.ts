// NAT lab, a man in the middle (issue 18): a router on the path rewrites the DTLS handshake of a
// mesh link as it forwards it (nftables payload mangling in the router's namespace: 4 bytes of
// every ClientHello's random replaced). The listener waives the cookie for the punch-proven peer
// (one ClientHello; without the waiver the cookie exchange would pass too, the server seeing the
// same rewritten random twice), but the server's ServerKeyExchange signature now covers a random
// the client never sent, so the client refuses it and alerts the server: both agents report the
// link as `auth-failed` with a DTLS code, neither adds the other to its mesh, and the process
// exits 1. The same pair links secured (direct, DTLS) once the rewrite rule is gone, so it is the
// attacker that was refused and not the lab that was broken.
import { expect } from 'chai';
import { Lab } from '../natlab/lab/lab.js';
import { requireLab } from '../natlab/lab/prereq.js';
import type { LabProcess } from '../natlab/lab/run.js';
import { jsonReport, labAgent, START_TIMEOUT_MS, startLabSignaling, type JoinReport } from './lab-agents.js';

type Report = JoinReport & { secure: boolean };

/** The router that rewrites: every handshake its LAN host exchanges passes through it. */
const ATTACKER = 'F';

/**
 * nft rule on the attacker's router, after NAT in both directions: a UDP datagram whose first
 * record is a DTLS handshake (content type 22) of epoch 0 carrying a client_hello (type 1) gets
 * bytes 27..30 (the first 4 bytes of ClientHello.random, after the 13-byte record header, the
 * 12-byte handshake header and client_version) set to 0xdeadbeef. Offsets are in bits from the
 * UDP header (8 bytes); the kernel fixes the UDP checksum.
 */
const REWRITE = `table ip mitm
delete table ip mitm
table ip mitm {
  chain rewrite {
    type filter hook postrouting priority srcnat + 10; policy accept;
    udp length > 70 @th,64,8 22 @th,88,16 0 @th,168,8 1 counter @th,280,32 set 0xdeadbeef
  }
}
`;

async function rewrittenPackets(lab: Lab): Promise<number> {
  const r = await lab.exec(ATTACKER, ['nft', 'list', 'table', 'ip', 'mitm']);
  const m = /counter packets (\d+)/.exec(r.stdout);
  if (m === null) throw new Error(`no counter in the mitm table: ${r.stdout}`);
  return Number(m[1]);
}

describe('a man in the middle in the NAT lab', function () {
  this.timeout(180_000);
  let lab: Lab | undefined;
  const procs: LabProcess[] = [];

  before(async function () {
    requireLab(this);
    lab = await Lab.create({ routers: [{ name: 'F', nat: 'full-cone' }, { name: 'Q', nat: 'port-restricted' }], reflector: false });
    await startLabSignaling(lab);
  });

  afterEach(async () => {
    for (const p of procs.splice(0)) await p.stop();
  });

  after(async () => {
    await lab?.destroy();
  });

  /**
   * q1 creates `lobby` (human output: its lines say when the lobby exists), f1 joins it with
   * `--json`; both wait for a mesh of two. Their exit codes, q1's lines and f1's report.
   */
  async function link(lobby: string): Promise<{ codes: Array<number | string>; q1: LabProcess; f1: Report; why: string }> {
    const l = lab!;
    const q1 = labAgent(l, 'q1', lobby, ['--create', '--wait-peers', '2', '--timeout', '40']);
    procs.push(q1);
    await q1.waitForLine(new RegExp(`created '${lobby}' as peer 1`), START_TIMEOUT_MS);
    const f1 = labAgent(l, 'f1', lobby, ['--json', '--wait-peers', '2', '--timeout', '40']);
    procs.push(f1);
    const codes = await Promise.all([q1.exited, f1.exited]);
    const why = `${q1.label}: ${q1.tail(12)}\n${f1.label}: ${f1.tail(6)}`;
    return { codes, q1, f1: jsonReport(f1) as Report, why };
  }

  it('refuses the link whose handshake a router rewrites: auth-failed with a DTLS code on both sides, never up', async () => {
    await lab!.exec(ATTACKER, ['nft', '-f', '-'], { input: REWRITE });
    try {
      const { codes, q1, f1, why } = await link('mitm-rewrite');
      // The attacker really was on the path: it rewrote the ClientHello (the only one: the
      // listener waives the cookie round trip for the punch-proven peer, docs/security.md).
      const rewritten = await rewrittenPackets(lab!);
      expect(rewritten, why).to.be.at.least(1);
      expect(codes, why).to.deep.equal([1, 1]);
      // f1: secure, no peer, one failure typed auth-failed with the DTLS code in its detail.
      expect(f1.secure, why).to.equal(true);
      expect(f1.peers, JSON.stringify(f1)).to.deep.equal([]);
      expect(f1.failures.map((f) => f.reason), JSON.stringify(f1)).to.deep.equal(['auth-failed']);
      expect(f1.failures[0]!.detail, JSON.stringify(f1)).to.match(/DTLS_[A-Z_]+/);
      // q1 says the same in its lines: the link FAILED with auth-failed, and its mesh has no link up.
      const q1Failure = q1.lines.find((x) => / FAILED: auth-failed \(/.test(x));
      expect(q1Failure, why).to.match(/DTLS_[A-Z_]+/);
      expect(q1.lines.some((x) => /you are peer 1, 0 link\(s\) up, 1 failed/.test(x)), why).to.equal(true);
      expect(q1.lines.some((x) => / up: (direct|relay|upnp|lan),/.test(x)), why).to.equal(false);
      // The DTLS client (whichever side connected) saw the forged signature; the other its alert.
      expect(`${f1.failures[0]!.detail}\n${q1Failure}`).to.match(/DTLS_BAD_SIGNATURE/);
      console.log(`      [natlab] rewritten ClientHellos: ${rewritten}; f1: ${f1.failures[0]!.detail}; q1: ${q1Failure!.trim()}`);
    } finally {
      await lab!.exec(ATTACKER, ['nft', 'delete', 'table', 'ip', 'mitm'], { allowFail: true });
    }
  });

  it('links the same pair secured and direct once the rewriting router is gone (the control)', async () => {
    const { codes, q1, f1, why } = await link('mitm-clean');
    expect(codes, why).to.deep.equal([0, 0]);
    expect(f1.secure, why).to.equal(true);
    expect(f1.failures, JSON.stringify(f1)).to.deep.equal([]);
    expect(f1.peers.map((p) => p.path), JSON.stringify(f1)).to.deep.equal(['direct']);
    expect(q1.lines.some((x) => /you are peer 1, 1 link\(s\) up, 0 failed/.test(x)), why).to.equal(true);
  });
});
