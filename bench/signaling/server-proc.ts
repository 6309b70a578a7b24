// Benchmark service process: one SignalingServer on loopback, reporting its own CPU and memory.
import { readFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { capYoungGeneration, SERVICE_SEMI_SPACE_MIB, SignalingServer } from '@meshpunch/signaling';

// As meshpunch-signal does (signaling/README.md "Memory of the service process"), unless the
// bench was given a semi-space size of its own (MESHPUNCH_BENCH_SERVER_ARGS).
if (!process.execArgv.join(' ').includes('semi-space')) capYoungGeneration(SERVICE_SEMI_SPACE_MIB);

const server = await SignalingServer.start({
  host: '127.0.0.1', port: 0, stun: false, log: () => undefined, logLevel: 'error',
  maxConnections: 20_000, maxLobbies: 5_000, connectionsPerSecondPerIp: 0, messagesPerSecond: 0,
  ...(process.env.MESHPUNCH_BENCH_HEARTBEAT_MS === undefined ? {} : { heartbeatMs: Number(process.env.MESHPUNCH_BENCH_HEARTBEAT_MS) }),
});

/** Times the main thread blocked and woke (voluntary context switches: each is one event-loop wake-up). */
function mainThreadWakeups(): number {
  const st = readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? Number.NaN);
}

function stats(cpu: NodeJS.CpuUsage, rss: number): Record<string, number> {
  const mem = process.memoryUsage();
  const m = server.core.metrics;
  let msgsIn = 0;
  for (const v of Object.values(m.messagesIn)) msgsIn += v;
  return {
    // rss as the kit reads it (/proc, no forced collection first); the heap figures after one.
    rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers, cpuUs: cpu.user + cpu.system, userUs: cpu.user, sysUs: cpu.system,
    connections: server.core.connectionCount, lobbies: server.core.lobbyCount, members: server.core.memberCount,
    msgsIn, msgsOut: m.messagesOut, relayed: m.candidatesRelayed, wakeups: mainThreadWakeups(),
  };
}

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stats') {
    // CPU and RSS are read before the forced collection below: that collection is the
    // benchmark's own work (tens of ms with 10 000 connections), not the service's.
    const cpu = process.cpuUsage();
    const rss = process.memoryUsage.rss();
    // --expose-gc is passed by main.ts so heap figures are taken after a full collection.
    (globalThis as { gc?: () => void }).gc?.();
    // cpuAfterUs: where a measured window that starts with this call begins (after the collection).
    const after = process.cpuUsage();
    process.send!({ kind: 'stats', ...stats(cpu, rss), cpuAfterUs: after.user + after.system, sysAfterUs: after.system });
  } else if (m.cmd === 'snapshot') {
    // MESHPUNCH_BENCH_HEAPSNAPSHOT (see main.ts): what the idle connections are made of.
    process.send!({ kind: 'snapshot', file: writeHeapSnapshot(process.env.MESHPUNCH_BENCH_HEAPSNAPSHOT) });
  } else if (m.cmd === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.send!({ kind: 'ready', port: server.port, pid: process.pid });
