// End-to-end: `meshpunch netcheck` as users run it (issue #12 item 7): a STUN server that never
// answers still gives the documented `udp: false` report within the time limit, and a STUN
// server on this machine is not called "public".
import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { startEmbeddedSignaling } from '@meshpunch/agent';
import { useProcesses } from './fixture.js';

/** A UDP socket on loopback that takes every datagram and answers none (no ICMP either). */
async function blackHole(): Promise<{ sock: Socket; address: string; received: () => number }> {
  const sock = createSocket('udp4');
  let n = 0;
  sock.on('message', () => n++);
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { sock, address: `127.0.0.1:${sock.address().port}`, received: () => n };
}

describe('meshpunch netcheck (end to end)', function () {
  this.timeout(60_000);
  const fx = useProcesses();

  it('prints the udp: false report and exits 0 when no STUN server answers (--json)', async () => {
    const hole = await blackHole();
    try {
      const p = fx.spawn(['netcheck', '--stun', hole.address, '--json']);
      expect(await p.exited, p.tail()).to.equal(0);
      expect(hole.received()).to.be.greaterThan(0);
      expect(p.stdout).to.have.length(1);
      expect(JSON.parse(p.stdout[0]!)).to.deep.equal({
        udp: false, publicAddress: null, addressClass: null, publicAddressV6: null, mappingBehavior: 'unknown', filteringBehavior: 'unknown',
        portAllocation: 'unknown', upnp: null, stunRttMs: { [hole.address]: null },
        verdict: 'UDP is blocked or no STUN server answered: direct connections are impossible, needs a relay.',
      });
    } finally {
      hole.sock.close();
    }
  });

  it('prints the report as text too, and at --timeout reports what it has instead of failing', async () => {
    const hole = await blackHole();
    try {
      const text = fx.spawn(['netcheck', '--stun', hole.address]);
      // 1 s is shorter than the 3 STUN requests' schedule (250 + 500 + 1000 ms): the limit decides.
      const limited = fx.spawn(['netcheck', '--stun', hole.address, '--timeout', '1', '--json']);
      expect(await text.exited, text.tail()).to.equal(0);
      expect(text.stdout.join('\n')).to.match(/^Report:\n {2}\* UDP: +no\n/);
      expect(text.stdout.join('\n')).to.include(`STUN ${hole.address}:  no answer`);
      expect(await limited.exited, limited.tail()).to.equal(0);
      const report = JSON.parse(limited.stdout.join('\n')) as Record<string, unknown>;
      expect(report).to.deep.include({ udp: false, stunRttMs: { [hole.address]: null } });
      expect(report.verdict).to.match(/^No STUN server answered before the time limit/);
    } finally {
      hole.sock.close();
    }
  });

  it('calls the address a STUN server on this machine sees loopback, not public', async () => {
    const signaling = await startEmbeddedSignaling();
    try {
      const p = fx.spawn(['netcheck', '--stun', signaling.stunAddress!, '--json']);
      expect(await p.exited, p.tail()).to.equal(0);
      const report = JSON.parse(p.stdout.join('\n')) as { addressClass: string; verdict: string; udp: boolean };
      expect(report.udp).to.equal(true);
      expect(report.addressClass).to.equal('loopback');
      expect(report.verdict).to.match(/^No NAT between you and the STUN server, which is on this machine \(loopback address 127\.0\.0\.1\)/);
      expect(report.verdict).to.not.include('public');
    } finally {
      await signaling.close();
    }
  });
});
