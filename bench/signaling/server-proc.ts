// Benchmark service process: one SignalingServer on loopback, reporting its own CPU and memory.
import { writeHeapSnapshot } from 'node:v8';
import { SignalingServer } from '@meshpunch/signaling';

const server = await SignalingServer.start({
  host: '127.0.0.1', port: 0, stun: false, log: () => undefined, logLevel: 'error',
  maxConnections: 20_000, maxLobbies: 5_000, connectionsPerSecondPerIp: 0, messagesPerSecond: 0,
});

function stats(cpu: NodeJS.CpuUsage): Record<string, number> {
  const mem = process.memoryUsage();
  const m = server.core.metrics;
  let msgsIn = 0;
  for (const v of Object.values(m.messagesIn)) msgsIn += v;
  return {
    rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers, cpuUs: cpu.user + cpu.system, userUs: cpu.user, sysUs: cpu.system,
    connections: server.core.connectionCount, lobbies: server.core.lobbyCount, members: server.core.memberCount,
    msgsIn, msgsOut: m.messagesOut, relayed: m.candidatesRelayed,
  };
}

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stats') {
    // CPU is read before the forced collection below: that collection is the benchmark's own
    // work (tens of ms with 10 000 connections), not the service's.
    const cpu = process.cpuUsage();
    // --expose-gc is passed by main.ts so memory figures are taken after a full collection.
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ kind: 'stats', ...stats(cpu) });
  } else if (m.cmd === 'snapshot') {
    // MESHPUNCH_BENCH_HEAPSNAPSHOT (see main.ts): what the idle connections are made of.
    process.send!({ kind: 'snapshot', file: writeHeapSnapshot(process.env.MESHPUNCH_BENCH_HEAPSNAPSHOT) });
  } else if (m.cmd === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.send!({ kind: 'ready', port: server.port });
