import { expect } from 'chai';
import {
  StunAttr,
  StunClass,
  StunMethod,
  decodeStunMessage,
  findAttribute,
  getErrorCode,
  getSoftware,
  getUint32Attribute,
  getUsername,
  getXorMappedAddress,
  hasFingerprint,
  isStunMessage,
  nodeHmacSha1,
  sameTransactionId,
  shortTermKey,
  unknownRequiredAttributes,
  verifyFingerprint,
  verifyMessageIntegrity,
} from '../../../src/index.js';
import { decodeOk } from './decode-ok.js';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { RFC5769_PASSWORD, RFC5769_REQUEST, RFC5769_RESPONSE_V4, RFC5769_RESPONSE_V6, RFC5769_TXID, hex } from '../vectors.js';


describe('stun/message', () => {
  describe('#decodeStunMessage (RFC 5769 vectors)', () => {
    it('decodes the §2.1 sample request and verifies its MESSAGE-INTEGRITY and FINGERPRINT', () => {
      const m = decodeOk(RFC5769_REQUEST);
      expect(m.class).to.equal(StunClass.Request);
      expect(m.method).to.equal(StunMethod.Binding);
      expect(sameTransactionId(m.transactionId, RFC5769_TXID)).to.equal(true);
      expect(m.attributes.map((a) => a.type)).to.deep.equal([
        StunAttr.Software, StunAttr.Priority, StunAttr.IceControlled, StunAttr.Username,
        StunAttr.MessageIntegrity, StunAttr.Fingerprint,
      ]);
      expect(getSoftware(m)).to.equal('STUN test client');
      expect(getUsername(m)).to.equal('evtj:h6vY');
      expect(getUint32Attribute(m, StunAttr.Priority)).to.equal(0x6e0001ff);
      expect(verifyFingerprint(m)).to.equal(true);
      expect(verifyMessageIntegrity(m, shortTermKey(RFC5769_PASSWORD), nodeHmacSha1)).to.equal(true);
    });

    it('decodes the §2.2 IPv4 response to 192.0.2.1:32853 and verifies it', () => {
      const m = decodeOk(RFC5769_RESPONSE_V4);
      expect(m.class).to.equal(StunClass.SuccessResponse);
      expect(getSoftware(m)).to.equal('test vector');
      expect(getXorMappedAddress(m)).to.deep.equal({ family: 4, address: '192.0.2.1', port: 32853 });
      expect(verifyFingerprint(m)).to.equal(true);
      expect(verifyMessageIntegrity(m, shortTermKey(RFC5769_PASSWORD), nodeHmacSha1)).to.equal(true);
    });

    it('decodes the §2.3 IPv6 response to [2001:db8:1234:5678:11:2233:4455:6677]:32853 and verifies it', () => {
      const m = decodeOk(RFC5769_RESPONSE_V6);
      expect(getXorMappedAddress(m)).to.deep.equal({ family: 6, address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
      expect(verifyFingerprint(m)).to.equal(true);
      expect(verifyMessageIntegrity(m, shortTermKey(RFC5769_PASSWORD), nodeHmacSha1)).to.equal(true);
    });

    it('rejects MESSAGE-INTEGRITY under the wrong password', () => {
      const m = decodeOk(RFC5769_REQUEST);
      expect(verifyMessageIntegrity(m, shortTermKey('wrong'), nodeHmacSha1)).to.equal(false);
    });

    it('fails FINGERPRINT and MESSAGE-INTEGRITY when one body byte is flipped', () => {
      const bytes = RFC5769_RESPONSE_V4.slice();
      bytes[30] ^= 0x01; // inside XOR-MAPPED-ADDRESS
      const m = decodeOk(bytes);
      expect(verifyFingerprint(m)).to.equal(false);
      expect(verifyMessageIntegrity(m, shortTermKey(RFC5769_PASSWORD), nodeHmacSha1)).to.equal(false);
    });
  });

  describe('#decodeStunMessage (bad input)', () => {
    const header = (len: number, extra = ''): Uint8Array =>
      hex(`0001${len.toString(16).padStart(4, '0')} 2112a442 000102030405060708090a0b ${extra}`);
    const rows: Array<{ name: string; bytes: Uint8Array; error: string }> = [
      { name: 'under 20 bytes', bytes: hex('0001 0000 2112a442 0001'), error: 'too-short' },
      { name: 'first two bits not 00 (an ENet header)', bytes: hex('8001 0000 2112a442 000102030405060708090a0b'), error: 'not-stun' },
      { name: 'a wrong magic cookie (RFC 3489)', bytes: hex('0001 0000 2112a443 000102030405060708090a0b'), error: 'bad-cookie' },
      { name: 'a length not a multiple of 4', bytes: header(2, '0000'), error: 'bad-length' },
      { name: 'a length beyond the datagram', bytes: header(8, '00060004'), error: 'length-mismatch' },
      { name: 'an attribute running past the end', bytes: header(8, '00060008 61626364'), error: 'truncated-attribute' },
      { name: 'an attribute after FINGERPRINT', bytes: header(16, '80280004 00000000 00060000 00000000').subarray(0, 36), error: 'fingerprint-not-last' },
    ];
    for (const row of rows) {
      it(`returns ${row.error} for ${row.name}`, () => {
        const r = decodeStunMessage(row.bytes);
        expect(r.ok).to.equal(false);
        if (!r.ok) expect(r.error).to.equal(row.error);
      });
    }

    it('returns too-many-attributes past 64 attributes', () => {
      const body = '00060000'.repeat(65);
      const r = decodeStunMessage(header(65 * 4, body));
      expect(r).to.deep.equal({ ok: false, error: 'too-many-attributes' });
    });

    it('ignores attributes after MESSAGE-INTEGRITY except FINGERPRINT (RFC 8489 §14.5)', () => {
      const mi = '00080014' + '00'.repeat(20);
      const m = decodeOk(header(24 + 8 + 8, `${mi} 80220004 61626364 80280004 00000000`));
      expect(m.attributes.map((a) => a.type)).to.deep.equal([StunAttr.MessageIntegrity, StunAttr.Fingerprint]);
      expect(hasFingerprint(m)).to.equal(true);
      expect(verifyFingerprint(m)).to.equal(false);
    });

    it('reads malformed typed attributes as undefined', () => {
      const m = decodeOk(header(16, '00200004 00010000 00090004 00000700'));
      expect(getXorMappedAddress(m)).to.equal(undefined);
      expect(getErrorCode(m)).to.equal(undefined);
    });
  });

  describe('#isStunMessage', () => {
    it('accepts every RFC 5769 sample', () => {
      for (const v of [RFC5769_REQUEST, RFC5769_RESPONSE_V4, RFC5769_RESPONSE_V6]) expect(isStunMessage(v)).to.equal(true);
    });
    it('rejects ENet datagrams captured from libenet 1.3.17 (enet-protocol.md §14)', () => {
      const captured = [
        // 1. CONNECT
        '8fff03e8 82ff0001 0000ffff 00000578 00010000 00000002 00000000 00000000 00001388 00000002 00000002 d8355f91 12345678',
        // 3. ACK + PING
        '800003e9 01ff0001 000103e9 85ff0002',
        // 4. ACK of PING with a 2-byte header: top bits 00, like STUN
        '0000 01ff0002 000203e9',
        // 7. UNRELIABLE_FRAGMENT start, no SENT_TIME (top bits 00), first 28 bytes
        '0000 0c010000 0002055c 00000003 00000000 00000bb8 00000000',
      ];
      for (const h of captured) expect(isStunMessage(hex(h)), h).to.equal(false);
    });
    it('rejects a datagram whose length field disagrees with its size', () => {
      expect(isStunMessage(RFC5769_REQUEST.subarray(0, RFC5769_REQUEST.length - 4))).to.equal(false);
    });
    it('rejects an ENet-like datagram with top bits 00 but no magic cookie', () => {
      expect(isStunMessage(hex('0001 0000 00000000 000102030405060708090a0b'))).to.equal(false);
    });
  });

  describe('#unknownRequiredAttributes', () => {
    it('lists comprehension-required types the caller does not know, once each', () => {
      const m = decodeOk(RFC5769_REQUEST);
      expect(unknownRequiredAttributes(m, [StunAttr.Username])).to.deep.equal([StunAttr.Priority, StunAttr.MessageIntegrity]);
      expect(findAttribute(m, StunAttr.IceControlled)?.value.length).to.equal(8);
    });
  });

  describe('fuzz', () => {
    it('never throws on random or mutated input and always returns a status', () => {
      const prng = new Prng(seedFromEnv(5769));
      const seeds = [RFC5769_REQUEST, RFC5769_RESPONSE_V4, RFC5769_RESPONSE_V6];
      const counts = { ok: 0, rejected: 0 };
      for (let i = 0; i < 4000; i++) {
        let bytes: Uint8Array;
        if (i % 2 === 0) {
          bytes = prng.bytes(prng.int(0, 120));
          if (bytes.length >= 8 && i % 4 === 0) bytes.set([0x00, 0x01, 0x00, (bytes.length - 20) & 0xfc, 0x21, 0x12, 0xa4, 0x42]);
        } else {
          bytes = prng.pick(seeds).slice();
          const flips = prng.int(1, 4);
          for (let k = 0; k < flips; k++) bytes[prng.int(0, bytes.length - 1)] = prng.nextUint32() & 0xff;
          if (prng.chance(0.3)) bytes = bytes.subarray(0, prng.int(0, bytes.length));
        }
        const r = decodeStunMessage(bytes);
        expect(isStunMessage(bytes) || !r.ok, `seed ${prng.seed} i ${i}`).to.equal(true);
        if (r.ok) {
          counts.ok++;
          expect(r.message.attributes.length).to.be.at.most(64);
          // Typed readers never throw either.
          getXorMappedAddress(r.message);
          getErrorCode(r.message);
          getUsername(r.message);
          verifyFingerprint(r.message);
          verifyMessageIntegrity(r.message, shortTermKey(RFC5769_PASSWORD), nodeHmacSha1);
        } else {
          counts.rejected++;
        }
      }
      expect(counts.ok).to.be.greaterThan(100);
      expect(counts.rejected).to.be.greaterThan(100);
    });
  });
});
