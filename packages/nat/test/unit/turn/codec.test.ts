import { expect } from 'chai';
import {
  ChannelDataError,
  NatError,
  StunClass,
  StunWriter,
  TurnAttr,
  TurnMethod,
  base64Encode,
  encodeChannelData,
  getChannelNumber,
  getLifetime,
  getRequestedTransport,
  getXorPeerAddress,
  getXorPeerAddresses,
  getXorRelayedAddress,
  longTermKey,
  messageType,
  mintTurnRestCredential,
  nodeHmacSha1,
  nodeMd5,
  parseTurnRestUsername,
  readChannelData,
  channelDataLength,
  turnRestPassword,
} from '../../../src/index.js';
import { decodeOk } from '../stun/decode-ok.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const TXID = Uint8Array.from({ length: 12 }, (_, i) => i + 1);

describe('TURN codec', () => {
  describe('#TurnMethod', () => {
    it('encodes the RFC 8656 §18.1 method numbers into STUN message types', () => {
      expect(messageType(TurnMethod.Allocate, StunClass.Request)).to.equal(0x0003);
      expect(messageType(TurnMethod.Allocate, StunClass.SuccessResponse)).to.equal(0x0103);
      expect(messageType(TurnMethod.Refresh, StunClass.ErrorResponse)).to.equal(0x0114);
      expect(messageType(TurnMethod.Send, StunClass.Indication)).to.equal(0x0016);
      expect(messageType(TurnMethod.Data, StunClass.Indication)).to.equal(0x0017);
      expect(messageType(TurnMethod.CreatePermission, StunClass.Request)).to.equal(0x0008);
      expect(messageType(TurnMethod.ChannelBind, StunClass.Request)).to.equal(0x0009);
    });
  });

  describe('attribute readers', () => {
    it('round-trips XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS, LIFETIME, CHANNEL-NUMBER and REQUESTED-TRANSPORT', () => {
      const w = new StunWriter(new Uint8Array(256)).begin(StunClass.Request, TurnMethod.ChannelBind, TXID);
      w.addXorAddress(TurnAttr.XorPeerAddress, '203.0.113.7', 40000);
      w.addXorAddress(TurnAttr.XorPeerAddress, '2001:db8::1', 5);
      w.addXorAddress(TurnAttr.XorRelayedAddress, '198.51.100.2', 49152);
      w.addUint32(TurnAttr.Lifetime, 600);
      w.addUint32(TurnAttr.ChannelNumber, 0x4001 << 16);
      w.addUint32(TurnAttr.RequestedTransport, 17 << 24);
      const m = decodeOk(w.bytes());
      expect(getXorPeerAddress(m)).to.deep.equal({ family: 4, address: '203.0.113.7', port: 40000 });
      expect(getXorPeerAddresses(m, 8)).to.deep.equal([
        { family: 4, address: '203.0.113.7', port: 40000 },
        { family: 6, address: '2001:db8::1', port: 5 },
      ]);
      expect(getXorPeerAddresses(m, 1)).to.equal(undefined);
      expect(getXorRelayedAddress(m)).to.deep.equal({ family: 4, address: '198.51.100.2', port: 49152 });
      expect([getLifetime(m), getChannelNumber(m), getRequestedTransport(m)]).to.deep.equal([600, 0x4001, 17]);
    });
    it('reads a malformed CHANNEL-NUMBER as absent', () => {
      const w = new StunWriter(new Uint8Array(64)).begin(StunClass.Request, TurnMethod.ChannelBind, TXID);
      w.addAttribute(TurnAttr.ChannelNumber, Uint8Array.of(0x40, 0x00));
      expect(getChannelNumber(decodeOk(w.bytes()))).to.equal(undefined);
    });
  });

  describe('#readChannelData', () => {
    it('accepts 0 to 3 pad bytes and trusts Length', () => {
      for (let pad = 0; pad <= 3; pad++) {
        const b = new Uint8Array(4 + 5 + pad);
        b.set([0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]);
        expect(readChannelData(b)).to.equal(0x4001);
        expect(channelDataLength(b)).to.equal(5);
      }
    });
    it('refuses short, truncated, over-padded and out-of-range datagrams', () => {
      expect(readChannelData(Uint8Array.of(0x40, 0))).to.equal(ChannelDataError.TooShort);
      expect(readChannelData(Uint8Array.of(0x40, 0, 0, 5, 1))).to.equal(ChannelDataError.Truncated);
      expect(readChannelData(Uint8Array.of(0x40, 0, 0, 0, 1, 2, 3, 4))).to.equal(ChannelDataError.TrailingBytes);
      expect(readChannelData(Uint8Array.of(0x3f, 0xff, 0, 0))).to.equal(ChannelDataError.BadChannel);
      expect(readChannelData(Uint8Array.of(0x80, 0x00, 0, 0))).to.equal(ChannelDataError.BadChannel);
      expect(readChannelData(Uint8Array.of(0x7f, 0xff, 0, 0))).to.equal(0x7fff);
    });
  });

  describe('#encodeChannelData', () => {
    it('writes the 4-byte header and the payload, unpadded', () => {
      const out = new Uint8Array(16);
      const n = encodeChannelData(out, 0x4000, Uint8Array.of(0xaa, 0xbb, 0xcc));
      expect(hex(out.subarray(0, n))).to.equal('40000003aabbcc');
    });
    it('throws for a channel outside 0x4000..0x7FFF and a buffer too small', () => {
      expect(() => encodeChannelData(new Uint8Array(16), 0x8000, new Uint8Array(1))).to.throw(NatError, 'channel must be 0x4000..0x7FFF, got 32768');
      expect(() => encodeChannelData(new Uint8Array(4), 0x4000, new Uint8Array(1))).to.throw(NatError, 'ChannelData needs 5 bytes, buffer has 4');
    });
  });

  describe('REST credentials', () => {
    it('computes coturn\'s password and the RFC 8489 §9.2.2 key (vectors from Python hmac/hashlib)', () => {
      const secret = new TextEncoder().encode('topsecret');
      const c = mintTurnRestCredential(secret, 'abc', 'p1', 1_700_000_000, nodeHmacSha1);
      expect(c).to.deep.equal({ username: '1700000000:abc.p1', password: 'TILbDxuR63oi1ojddyByCGo1nes=' });
      expect(turnRestPassword(secret, c.username, nodeHmacSha1)).to.equal(c.password);
      expect(hex(longTermKey(c.username, 'meshpunch', c.password, nodeMd5))).to.equal('89d45b9d4046d1613cd0dcc50d82963b');
    });
    it('parses the expiry and the member part, refusing malformed usernames', () => {
      expect(parseTurnRestUsername('1700000000:abc.p1')).to.deep.equal({ expiresAtS: 1_700_000_000, member: 'abc.p1' });
      for (const bad of ['', 'abc', ':abc', '17x:abc', '1700000000:', '1234567890123456:a']) {
        expect(parseTurnRestUsername(bad), bad).to.equal(undefined);
      }
    });
    it('refuses member parts outside [A-Za-z0-9_-] and a bad expiry', () => {
      const s = new Uint8Array(4);
      expect(() => mintTurnRestCredential(s, 'a:b', 'p', 1, nodeHmacSha1)).to.throw(NatError, 'lobbyTag must be 1-64 characters of [A-Za-z0-9_-], got "a:b"');
      expect(() => mintTurnRestCredential(s, 'a', 'p.q', 1, nodeHmacSha1)).to.throw(NatError, 'peerId must be 1-64 characters of [A-Za-z0-9_-], got "p.q"');
      expect(() => mintTurnRestCredential(s, 'a', 'p', 0, nodeHmacSha1)).to.throw(NatError, 'expiresAtS must be a positive integer, got 0');
    });
    it('base64-encodes with RFC 4648 padding', () => {
      const enc = (s: string) => base64Encode(new TextEncoder().encode(s));
      expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map(enc)).to.deep.equal(['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy']);
    });
  });
});
