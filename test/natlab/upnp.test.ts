// @meshpunch/nat's UPnP IGD client against a real miniupnpd 2.3.1 in a lab router, once as an
// IGDv1 and once as an IGDv2 device (docs/specs/natlab.md §6). Every claim is checked from outside
// the client: miniupnpd's own nft chain, and datagrams sent from the lab internet.
import { expect } from 'chai';
import { START_TIMEOUT_MS } from '../e2e/agent-process.js';
import { Lab, LAB_INTERNET, RUNNERS_DIR } from './lab/lab.js';
import { requireLab } from './lab/prereq.js';
import type { LabProcess } from './lab/run.js';

interface Mapped {
  event: 'mapped';
  externalAddress: string;
  externalPort: number;
  internalClient: string;
  internalPort: number;
  leaseS: number;
  verification: string;
  igdVersion: number;
  serviceType: string;
  ms: number;
}

/** Waits for the runner's JSON line of `event` (or its error line) and parses it. */
async function eventOf<T>(p: LabProcess, event: string, timeoutMs = 10_000): Promise<T> {
  const line = await p.waitForLine(new RegExp(`"event":"(${event}|error)"`), timeoutMs);
  const j = JSON.parse(line) as { event: string };
  if (j.event === 'error') throw new Error(`${p.label}: ${line}`);
  return j as T;
}

describe('UPnP IGD client against miniupnpd (IGDv1 and IGDv2)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  const timings: string[] = [];

  before(async function () {
    requireLab(this);
    lab = await Lab.create({
      routers: [
        { name: 'A', nat: 'port-restricted', upnp: 'v1', hosts: 2 },
        { name: 'B', nat: 'port-restricted', upnp: 'v2', hosts: 2 },
      ],
    });
  });

  after(async function () {
    if (timings.length > 0) console.log(`      [natlab] UPnP timings: ${timings.join('; ')}`);
    await lab?.destroy();
  });

  it('without miniupnpd on the router, discovery ends in NAT_UPNP_NO_GATEWAY within its time limit', async function () {
    await lab!.stopUpnp('B');
    try {
      const r = await lab!.exec('b2', [process.execPath, `${RUNNERS_DIR}/upnp.js`, 'discover', '1500'], { allowFail: true, timeoutMs: 10_000 });
      const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { event: string; code: string; details: { stats: { sent: number; answers: number } } };
      expect(j.event).to.equal('error');
      expect(j.code).to.equal('NAT_UPNP_NO_GATEWAY');
      expect(j.details.stats.sent).to.be.greaterThan(0);
      expect(j.details.stats.answers).to.equal(0);
    } finally {
      await lab!.startUpnp('B', 'v2');
    }
  });

  for (const [router, igd] of [['A', 1], ['B', 2]] as const) {
    const h1 = `${router.toLowerCase()}1`;
    const h2 = `${router.toLowerCase()}2`;

    describe(`IGDv${igd} (router ${router})`, function () {
      it('discovers the gateway over SSDP and reads the external address', async function () {
        const d = await lab!.runJson<{ igdVersion: number; serviceType: string; externalAddress: string; localAddress: string; discoverMs: number }>(
          h1, 'upnp', ['discover']);
        expect(d.igdVersion).to.equal(igd);
        expect(d.serviceType).to.equal(`urn:schemas-upnp-org:service:WANIPConnection:${igd}`);
        expect(d.externalAddress).to.equal(lab!.wanIp(router));
        expect(d.localAddress).to.equal(lab!.hostIp(h1));
        timings.push(`v${igd} discover ${d.discoverMs} ms`);
      });

      it('maps UDP, the mapping is in miniupnpd\'s table, the internet reaches the host through it, and close removes it', async function () {
        const port = 48000 + igd;
        const p = lab!.spawnRunner(h1, 'upnp', ['map', String(port)]);
        const m = await eventOf<Mapped>(p, 'mapped');
        timings.push(`v${igd} map+verify ${m.ms} ms`);
        expect(m.externalAddress).to.equal(lab!.wanIp(router));
        expect(m.externalPort).to.equal(port);
        expect(m.internalClient).to.equal(lab!.hostIp(h1));
        expect(m.verification).to.equal('router-entry');
        expect(m.leaseS).to.be.within(60, 1200);
        expect(await lab!.upnpRules(router)).to.deep.equal([{ protocol: 'udp', externalPort: port, internalIp: lab!.hostIp(h1), internalPort: port }]);

        // Unsolicited from the lab internet: the router is port-restricted, only the mapping lets it in.
        await lab!.runJson('srv', 'udp', ['send', '0', `${lab!.wanIp(router)}:${port}`, 'unsolicited-from-internet', '3']);
        const dg = await eventOf<{ from: string; text: string }>(p, 'datagram', 5000);
        expect(dg.text).to.equal('unsolicited-from-internet');
        expect(dg.from.startsWith(`${LAB_INTERNET.stunPrimary}:`) || dg.from.startsWith(`${LAB_INTERNET.stunAlternate}:`)
          || dg.from.startsWith(`${LAB_INTERNET.third}:`)).to.equal(true);

        p.write('close\n');
        await eventOf(p, 'closed');
        await p.exited;
        expect(await lab!.upnpRules(router), 'miniupnpd rules after close').to.deep.equal([]);
        // miniupnpd logged the deletion with the protocol set (the failure natlab.md §6 met was an empty one).
        const log = lab!.upnpLog(router);
        expect(log.some((l) => l.includes(`DeletePortMapping: external port: ${port}, protocol: UDP`)), 'DeletePortMapping logged').to.equal(true);
        expect(log.some((l) => l.includes(`removing redirect rule port ${port} UDP`)), 'rule removal logged').to.equal(true);

        // And the port is closed again from the internet side.
        // The sender is ready before the receiver's 0.8 s window opens: spawned inside it, a slow
        // start on a loaded machine let the window pass first, and the check passed without a probe.
        const tx = lab!.spawnRunner('srv', 'udp', ['send', '0', `${lab!.wanIp(router)}:${port}`, 'after-close', '3', 'on-go']);
        await tx.waitForLine(/^ready/, START_TIMEOUT_MS);
        const rx = lab!.spawnRunner(h1, 'udp', ['recv', String(port), '800', '1']);
        await rx.waitForLine(/^ready/, START_TIMEOUT_MS);
        tx.write('go\n');
        expect(await tx.exited, tx.tail()).to.equal(0);
        await rx.exited;
        expect((JSON.parse(rx.lines.at(-1)!) as { received: unknown[] }).received).to.deep.equal([]);
      });

      it('gets another external port when the wanted one is mapped to another LAN host', async function () {
        const wanted = 49000 + igd * 10;
        const holder = lab!.spawnRunner(h2, 'upnp', ['map', String(wanted)]);
        const first = await eventOf<Mapped>(holder, 'mapped');
        expect(first.externalPort).to.equal(wanted);
        const asker = lab!.spawnRunner(h1, 'upnp', ['map', String(wanted + 1), String(wanted)]);
        const second = await eventOf<Mapped>(asker, 'mapped');
        expect(second.externalPort).to.not.equal(wanted);
        expect(second.verification).to.equal('router-entry');
        const rules = await lab!.upnpRules(router);
        expect(rules).to.have.deep.members([
          { protocol: 'udp', externalPort: wanted, internalIp: lab!.hostIp(h2), internalPort: wanted },
          { protocol: 'udp', externalPort: second.externalPort, internalIp: lab!.hostIp(h1), internalPort: wanted + 1 },
        ]);
        // Each mapping reaches its own host.
        await lab!.runJson('srv', 'udp', ['send', '0', `${lab!.wanIp(router)}:${second.externalPort}`, 'to-second', '2']);
        expect((await eventOf<{ text: string }>(asker, 'datagram', 5000)).text).to.equal('to-second');
        for (const p of [holder, asker]) {
          p.write('close\n');
          await eventOf(p, 'closed');
          await p.exited;
        }
        expect(await lab!.upnpRules(router)).to.deep.equal([]);
      });

      it('NAT-PMP (RFC 6886) on the same router: maps UDP, the internet reaches the host, close removes the rule', async function () {
        const port = 51000 + igd;
        const p = lab!.spawnRunner(h1, 'upnp', ['pmp', String(port), '300']);
        const m = await eventOf<Mapped & { gateway: string }>(p, 'mapped');
        timings.push(`v${igd} NAT-PMP map ${m.ms} ms`);
        expect(m.gateway).to.equal(`10.0.${router === 'A' ? 1 : 2}.1`);
        expect(m.externalAddress).to.equal(lab!.wanIp(router));
        expect(m.externalPort).to.equal(port);
        expect(await lab!.upnpRules(router)).to.deep.equal([{ protocol: 'udp', externalPort: port, internalIp: lab!.hostIp(h1), internalPort: port }]);
        await lab!.runJson('srv', 'udp', ['send', '0', `${lab!.wanIp(router)}:${port}`, 'pmp-inbound', '3']);
        expect((await eventOf<{ text: string }>(p, 'datagram', 5000)).text).to.equal('pmp-inbound');
        p.write('close\n');
        await eventOf(p, 'closed');
        await p.exited;
        expect(await lab!.upnpRules(router)).to.deep.equal([]);
      });

      it('refreshes the lease in place', async function () {
        const port = 50000 + igd;
        const p = lab!.spawnRunner(h1, 'upnp', ['map', String(port), '-', '120']);
        const m = await eventOf<Mapped>(p, 'mapped');
        expect(m.leaseS).to.be.within(60, 120);
        p.write('refresh\n');
        const r = await eventOf<{ externalPort: number }>(p, 'refreshed');
        expect(r.externalPort).to.equal(port);
        expect(await lab!.upnpRules(router)).to.deep.equal([{ protocol: 'udp', externalPort: port, internalIp: lab!.hostIp(h1), internalPort: port }]);
        p.write('close\n');
        await eventOf(p, 'closed');
        await p.exited;
        expect(await lab!.upnpRules(router)).to.deep.equal([]);
      });
    });
  }
});
