import { expect } from 'chai';
import { remoteCandidateRejection, sourceRejection, type Candidate } from '../../src/index.js';

describe('candidate-policy', () => {
  const internet: Array<Pick<Candidate, 'address'>> = [{ address: '198.51.100.5' }];
  const lan4: Array<Pick<Candidate, 'address'>> = [{ address: '192.168.1.5' }, { address: '198.51.100.5' }];
  const lan6: Array<Pick<Candidate, 'address'>> = [{ address: 'fe80::1%2' }];
  const loop: Array<Pick<Candidate, 'address'>> = [{ address: '127.0.0.1' }];

  describe('#remoteCandidateRejection', () => {
    const rows: Array<[Candidate['kind'], string, Array<Pick<Candidate, 'address'>>, string | undefined]> = [
      ['srflx', '203.0.113.7', internet, undefined],
      ['host', '203.0.113.7', [], undefined],
      ['host', '224.0.0.251', lan4, 'multicast'],
      ['host', 'ff02::fb', lan6, 'multicast'],
      ['host', '::ffff:239.255.255.250', lan4, 'multicast'],
      ['host', '255.255.255.255', lan4, 'broadcast'],
      ['host', '240.0.0.1', lan4, 'reserved'],
      ['host', '0.0.0.0', lan4, 'unspecified'],
      ['host', '::', lan4, 'unspecified'],
      ['host', 'not-an-ip', lan4, 'invalid'],
      ['host', '127.0.0.1', internet, 'loopback'],
      ['host', '127.0.0.1', loop, undefined],
      ['srflx', '::1', loop, undefined],
      ['host', '10.0.0.7', internet, 'no-shared-lan'],
      ['host', '10.0.0.7', lan4, undefined],
      ['host', '169.254.3.4', lan4, undefined],
      ['host', 'fd00::7', lan4, 'no-shared-lan'],
      ['host', 'fe80::7', lan6, undefined],
      ['relay', '10.0.0.1', lan4, undefined],
      ['srflx', '10.0.0.7', lan4, 'private-not-host'],
      ['upnp', '192.168.0.1', lan4, 'private-not-host'],
      ['prflx', '100.64.1.1', lan4, 'private-not-host'],
    ];
    for (const [kind, address, local, want] of rows) {
      it(`${want ?? 'accepts'} ${kind} ${address} with local [${local.map((l) => l.address).join(', ')}]`, () => {
        expect(remoteCandidateRejection({ kind, address }, local)).to.equal(want);
      });
    }
  });

  describe('#sourceRejection', () => {
    it('refuses only the classes that are never a peer\'s address', () => {
      expect(['224.0.0.1', '255.255.255.255', '240.1.2.3', '0.0.0.0', 'ff02::1'].map(sourceRejection)).to.deep.equal(['multicast', 'broadcast', 'reserved', 'unspecified', 'multicast']);
      expect(['127.0.0.1', '10.0.0.1', '203.0.113.9', 'fe80::1'].map(sourceRejection)).to.deep.equal([undefined, undefined, undefined, undefined]);
    });
  });
});
