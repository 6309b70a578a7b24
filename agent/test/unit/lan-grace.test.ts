import { expect } from 'chai';
import { lanGraceMs } from '../../src/core/lan-grace.js';

describe('lanGraceMs', () => {
  const host = (address: string) => ({ kind: 'host' as const, address });
  const srflx = (address: string) => ({ kind: 'srflx' as const, address });

  it('skips the LAN grace when the public addresses differ (different NATs)', () => {
    expect(lanGraceMs([host('10.0.1.2'), srflx('203.0.113.10')], [host('10.0.2.2'), srflx('203.0.113.20')])).to.equal(0);
  });

  it('keeps the default grace behind the same public address (same NAT)', () => {
    expect(lanGraceMs([host('10.0.1.2'), srflx('203.0.113.10')], [host('10.0.1.3'), srflx('203.0.113.10')])).to.equal(undefined);
    expect(lanGraceMs([srflx('2001:DB8::1')], [srflx('2001:db8::1')])).to.equal(undefined);
  });

  it('keeps the default grace when either side has no server-reflexive candidate', () => {
    expect(lanGraceMs([host('10.0.1.2')], [host('10.0.2.2'), srflx('203.0.113.20')])).to.equal(undefined);
    expect(lanGraceMs([host('10.0.1.2'), srflx('203.0.113.10')], [host('10.0.2.2')])).to.equal(undefined);
  });
});
