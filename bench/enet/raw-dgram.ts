// The ceiling any node:dgram ENet can reach in this bench: the same loop as ours.ts, but each
// packet is just one raw datagram and the receiver answers each event-loop turn with one
// 10-byte "ACK" datagram — no protocol work at all. Shown beside the contenders so the table
// says how much of the gap to libenet is node:dgram's per-datagram cost.
import dgram from 'node:dgram';
import { RUN_WALL_LIMIT_MS, cpuSecondsSince, turn, type Contender, type ThroughputResult } from './contender.js';

async function sockets(): Promise<{ a: dgram.Socket; b: dgram.Socket; aPort: number; bPort: number }> {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  await new Promise<void>((r) => a.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => b.bind(0, '127.0.0.1', r));
  return { a, b, aPort: a.address().port, bPort: b.address().port };
}

/** The raw node:dgram floor (not an ENet: no reliability, loss would stall it). */
export function rawDgram(): Contender {
  return {
    name: 'node:dgram only (no ENet)',
    async throughput(size, count, inflight): Promise<ThroughputResult> {
      const { a, b, aPort, bPort } = await sockets();
      const payload = Buffer.alloc(size);
      const ack = Buffer.alloc(10);
      let sent = 0;
      let received = 0;
      let acked = 0;
      let pendingAck = false;
      let lost = 0;
      b.on('message', () => {
        received++;
        pendingAck = true;
      });
      a.on('message', () => acked++);
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      while (received < count) {
        while (sent < count && sent - received < inflight) {
          a.send(payload, bPort, '127.0.0.1');
          sent++;
        }
        if (pendingAck) {
          b.send(ack, aPort, '127.0.0.1');
          pendingAck = false;
        }
        const before = received;
        await turn();
        // No reliability here: when a turn brings nothing, count what is in flight as lost so
        // the window reopens (the kernel drops datagrams when the receive buffer fills).
        if (received === before && sent > received) {
          lost += sent - received;
          sent = received;
        }
        if (performance.now() - t0 > RUN_WALL_LIMIT_MS) throw new Error(`raw dgram: ${received}/${count} after the wall limit`);
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = cpuSecondsSince(cpu0);
      a.close();
      b.close();
      if (lost > 0) process.stderr.write(`[bench] node:dgram only: ${lost} datagrams lost and resent\n`);
      return { packets: received, seconds, cpuSeconds };
    },
    async pingPong(count, size): Promise<number[]> {
      const { a, b, aPort, bPort } = await sockets();
      const payload = Buffer.alloc(size);
      let got = 0;
      b.on('message', (m) => b.send(m, aPort, '127.0.0.1'));
      a.on('message', () => got++);
      const rtts: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        a.send(payload, bPort, '127.0.0.1');
        let resendAt = t0 + 100;
        while (got <= i) {
          await turn();
          const now = performance.now();
          if (now > resendAt) {
            // Lost (no reliability here): send again rather than hang.
            a.send(payload, bPort, '127.0.0.1');
            resendAt = now + 100;
          }
          if (now - t0 > RUN_WALL_LIMIT_MS) throw new Error('raw dgram: ping-pong past the wall limit');
        }
        rtts.push((performance.now() - t0) * 1000);
      }
      a.close();
      b.close();
      return rtts;
    },
  };
}
