import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import {
  decodeNatPmpResponse,
  defaultGatewayIpv4,
  encodeExternalAddressRequest,
  encodeMapRequest,
  NatError,
  NatPmpClient,
  NatPmpResult,
  openNatPmpMapping,
} from '../../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('natpmp', () => {
  describe('#encode…Request', () => {
    it('writes the RFC 6886 §3.2 and §3.3 requests byte for byte', () => {
      expect(hex(encodeExternalAddressRequest())).to.equal('0000');
      // UDP, internal 48000 (0xbb80), suggested 48001 (0xbb81), lifetime 7200 (0x1c20)
      expect(hex(encodeMapRequest({ protocol: 'UDP', internalPort: 48000, externalPort: 48001, lifetimeS: 7200 }))).to.equal('00010000bb80bb8100001c20');
      // TCP delete: external 0, lifetime 0 (§3.4)
      expect(hex(encodeMapRequest({ protocol: 'TCP', internalPort: 80, externalPort: 0, lifetimeS: 0 }))).to.equal('000200000050000000000000');
    });

    it('throws NatError ERR_INVALID_PARAMETER for ports or lifetimes out of range', () => {
      expect(() => encodeMapRequest({ protocol: 'UDP', internalPort: 0, externalPort: 1, lifetimeS: 1 })).to.throw(NatError, 'internalPort must be 1..65535, got 0');
      expect(() => encodeMapRequest({ protocol: 'UDP', internalPort: 1, externalPort: 70000, lifetimeS: 1 })).to.throw(NatError);
      expect(() => encodeMapRequest({ protocol: 'UDP', internalPort: 1, externalPort: 1, lifetimeS: -1 })).to.throw(NatError);
    });
  });

  describe('#decodeNatPmpResponse', () => {
    it('decodes an external address answer and a UDP map answer', () => {
      expect(decodeNatPmpResponse(unhex('0080 0000 00000e10 cb007165'))).to.deep.equal({
        ok: true, response: { kind: 'external-address', result: 0, epochS: 3600, address: '203.0.113.101' } });
      expect(decodeNatPmpResponse(unhex('0081 0000 00000e10 bb80 bb81 000004b0'))).to.deep.equal({
        ok: true, response: { kind: 'map', protocol: 'UDP', result: 0, epochS: 3600, internalPort: 48000, externalPort: 48001, lifetimeS: 1200 } });
    });

    it('decodes a short error answer (result code only)', () => {
      const r = decodeNatPmpResponse(unhex('0081 0002 00000001'));
      expect(r.ok && r.response.result).to.equal(NatPmpResult.NotAuthorized);
    });

    const bad: Array<[string, string, string]> = [
      ['00', 'a 1-byte datagram', 'too-short'],
      ['0180 0000 00000000 01020304', 'version 1 (PCP)', 'bad-version'],
      ['0001 0000 bb80 bb80 00000000', 'a request', 'not-a-response'],
      ['0085 0000 00000000', 'an unknown opcode', 'unknown-opcode'],
      ['0081 0000 00000000 bb80', 'a truncated success map answer', 'too-short'],
    ];
    for (const [h, name, error] of bad) {
      it(`refuses ${name} with '${error}'`, () => {
        expect(decodeNatPmpResponse(unhex(h))).to.deep.equal({ ok: false, error });
      });
    }

    it('never throws on random or mutated input (fuzz, 4000 cases): accepts only well-formed answers, read as sent', () => {
      let seed = 99;
      const rnd = (): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed >>> 24;
      };
      const answers = [unhex('0080 0000 00000e10 cb007165'), unhex('0081 0000 00000e10 bb80 bb81 000004b0'), unhex('0082 0002 00000001')];
      const errors = new Set(['too-short', 'bad-version', 'not-a-response', 'unknown-opcode']);
      let accepted = 0;
      let refused = 0;
      for (let i = 0; i < 4000; i++) {
        // Even cases: random bytes; odd: a real answer with 1-3 bytes changed, or cut short.
        const b = i % 2 === 0 ? new Uint8Array(i % 24).map(rnd) : answers[i % 3]!.slice(0, rnd() % 4 === 0 ? rnd() % 17 : undefined);
        if (i % 2 === 1 && b.length > 0) for (let k = 0; k <= rnd() % 3; k++) b[rnd() % b.length] = rnd();
        const r = decodeNatPmpResponse(b);
        const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
        if (!r.ok) {
          refused++;
          expect(errors.has(r.error), r.error).to.equal(true);
          continue;
        }
        accepted++;
        // Version 0, a response opcode, the result code as sent; a success carries every field.
        expect([b[0], b[1]! >= 128 && b[1]! <= 130]).to.deep.equal([0, true]);
        expect(r.response.result).to.equal(view.getUint16(2));
        if (r.response.kind === 'external-address') {
          expect(b[1]).to.equal(128);
          if (r.response.result === 0) expect(r.response.address).to.equal(`${b[8]}.${b[9]}.${b[10]}.${b[11]}`);
        } else {
          expect(r.response.protocol).to.equal(b[1] === 129 ? 'UDP' : 'TCP');
          if (r.response.result === 0) {
            expect([r.response.internalPort, r.response.externalPort, r.response.lifetimeS]).to.deep.equal([view.getUint16(8), view.getUint16(10), view.getUint32(12)]);
          }
        }
      }
      // The fuzz reached both sides of the decoder.
      expect(accepted).to.be.greaterThan(100);
      expect(refused).to.be.greaterThan(100);
    });
  });

  describe('#defaultGatewayIpv4', () => {
    it('reads the default route from a /proc/net/route table (little-endian hex)', () => {
      const table = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
        'eth0\t0001000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
        'eth0\t00000000\t0101000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n';
      expect(defaultGatewayIpv4(table)).to.equal('10.0.1.1');
      expect(defaultGatewayIpv4('Iface\tDestination\tGateway\n')).to.equal(undefined);
    });
  });
});

/** A NAT-PMP gateway on 127.0.0.1 that maps, refuses or stays silent. */
class FakePmp {
  sock!: Socket;
  port = 0;
  mode: 'ok' | 'refuse' | 'silent' | 'move' = 'ok';
  requests: string[] = [];
  async start(): Promise<void> {
    this.sock = createSocket('udp4');
    this.sock.on('message', (m, r) => {
      this.requests.push(hex(m));
      if (this.mode === 'silent') return;
      // Noise first: a datagram that is not an answer must be ignored, not taken.
      this.sock.send(Buffer.from('garbage'), r.port, r.address);
      const out = Buffer.alloc(m[1] === 0 ? 12 : 16);
      out[1] = 128 + m[1]!;
      out.writeUInt16BE(this.mode === 'refuse' ? 2 : 0, 2);
      out.writeUInt32BE(1000, 4);
      if (m[1] === 0) Buffer.from([198, 51, 100, 7]).copy(out, 8);
      else {
        out.writeUInt16BE(m.readUInt16BE(4), 8);
        const ext = m.readUInt32BE(8) === 0 ? 0 : this.mode === 'move' ? 40001 : m.readUInt16BE(6);
        out.writeUInt16BE(ext, 10);
        out.writeUInt32BE(Math.min(m.readUInt32BE(8), 3600), 12);
      }
      this.sock.send(out, r.port, r.address);
    });
    await new Promise<void>((res) => this.sock.bind(0, '127.0.0.1', res));
    this.port = this.sock.address().port;
  }
  stop(): void {
    this.sock.close();
  }
}

describe('NatPmpClient against a fake gateway on loopback', () => {
  let gw: FakePmp;
  beforeEach(async () => {
    gw = new FakePmp();
    await gw.start();
  });
  afterEach(() => gw.stop());

  it('reads the external address, maps UDP, refreshes and deletes on close', async () => {
    const m = await openNatPmpMapping({ gateway: '127.0.0.1', port: gw.port, internalPort: 48000, lifetimeS: 7200, refresh: false });
    expect(m.externalAddress).to.equal('198.51.100.7');
    expect(m.externalPort).to.equal(48000);
    expect(m.lifetimeS).to.equal(3600);
    gw.mode = 'move';
    const changes: Array<[number, number]> = [];
    m.on('changed', (a, b) => changes.push([a, b]));
    await m.refresh();
    expect(changes).to.deep.equal([[48000, 40001]]);
    gw.mode = 'ok';
    await m.close();
    await m.close();
    expect(gw.requests.at(-1)).to.equal('00010000bb80000000000000');
    expect(m.isOpen).to.equal(false);
    expect(m.client.ignored).to.be.greaterThan(0);
  });

  it('rejects with NAT_PMP_RESULT carrying the result code when the gateway refuses', async () => {
    gw.mode = 'refuse';
    const c = new NatPmpClient({ gateway: '127.0.0.1', port: gw.port });
    const err = await c.getExternalAddress().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NatError);
    expect((err as NatError).code).to.equal('NAT_PMP_RESULT');
    expect((err as NatError).details.resultCode).to.equal(2);
    expect((err as NatError).message).to.equal('NAT-PMP gateway 127.0.0.1 answered not authorized/refused (2)');
  });

  it('rejects with NAT_PMP_TIMEOUT after the doubling schedule when the gateway is silent', async () => {
    gw.mode = 'silent';
    const c = new NatPmpClient({ gateway: '127.0.0.1', port: gw.port, initialRtoMs: 20, attempts: 3 });
    const err = (await c.map({ protocol: 'UDP', internalPort: 1234, lifetimeS: 60 }).catch((e: unknown) => e)) as NatError;
    expect(err.code).to.equal('NAT_PMP_TIMEOUT');
    expect(err.message).to.equal('NAT-PMP gateway 127.0.0.1 did not answer 3 requests within 140 ms');
    expect(gw.requests.length).to.equal(3);
  });
});
