import { expect } from 'chai';
import { clampLease, isPrivateIpv4, isUsableExternalAddress, MAX_PORT_ATTEMPTS, refreshDelayMs, retryAfterFault, UpnpErrorCode, NatError } from '../../src/index.js';

describe('upnp-mapping-plan', () => {
  describe('#retryAfterFault', () => {
    const s = { usedAnyPort: false, leaseS: 1200, externalPort: 50000, internalPort: 48000, attempts: 1 };
    const rows: Array<{ code: number; state?: Partial<typeof s>; expect: string }> = [
      { code: UpnpErrorCode.ConflictInMappingEntry, expect: 'other-port' },
      { code: UpnpErrorCode.ConflictWithOtherMechanisms, expect: 'other-port' },
      { code: UpnpErrorCode.SamePortValuesRequired, expect: 'same-port' },
      { code: UpnpErrorCode.SamePortValuesRequired, state: { externalPort: 48000 }, expect: 'fail' },
      { code: UpnpErrorCode.OnlyPermanentLeasesSupported, expect: 'permanent-lease' },
      { code: UpnpErrorCode.OnlyPermanentLeasesSupported, state: { leaseS: 0 }, expect: 'fail' },
      { code: UpnpErrorCode.InvalidAction, state: { usedAnyPort: true }, expect: 'plain-add' },
      { code: UpnpErrorCode.InvalidAction, expect: 'fail' },
      { code: UpnpErrorCode.NotAuthorized, expect: 'fail' },
      { code: UpnpErrorCode.ActionFailed, expect: 'fail' },
      { code: UpnpErrorCode.ConflictInMappingEntry, state: { attempts: MAX_PORT_ATTEMPTS }, expect: 'fail' },
    ];
    for (const row of rows) {
      it(`answers UPnP error ${row.code} ${JSON.stringify(row.state ?? {})} with '${row.expect}'`, () => {
        expect(retryAfterFault(row.code, { ...s, ...row.state }).kind).to.equal(row.expect);
      });
    }
  });

  describe('#clampLease', () => {
    it('keeps leases within 60 s .. one week and refuses non-positive ones', () => {
      expect(clampLease(1)).to.equal(60);
      expect(clampLease(1200)).to.equal(1200);
      expect(clampLease(10_000_000)).to.equal(604_800);
      expect(() => clampLease(0)).to.throw(NatError, 'leaseS must be a positive integer, got 0');
      expect(() => clampLease(1.5)).to.throw(NatError);
    });
  });

  describe('#refreshDelayMs', () => {
    it('refreshes at half the lease and never a permanent one', () => {
      expect(refreshDelayMs(1200)).to.equal(600_000);
      expect(refreshDelayMs(1)).to.equal(1000);
      expect(refreshDelayMs(0)).to.equal(undefined);
    });
  });

  describe('#isUsableExternalAddress / #isPrivateIpv4', () => {
    it('tells advertisable, unusable and private (double NAT) external addresses apart', () => {
      expect(isUsableExternalAddress('203.0.113.101')).to.equal(true);
      expect(isUsableExternalAddress('0.0.0.0')).to.equal(false);
      expect(isUsableExternalAddress('127.0.0.1')).to.equal(false);
      expect(isUsableExternalAddress('239.1.1.1')).to.equal(false);
      expect(isUsableExternalAddress('1.2.3')).to.equal(false);
      expect(isPrivateIpv4('192.168.1.20')).to.equal(true);
      expect(isPrivateIpv4('100.64.0.1')).to.equal(true);
      expect(isPrivateIpv4('172.32.0.1')).to.equal(false);
      expect(isPrivateIpv4('203.0.113.101')).to.equal(false);
    });
  });
});
