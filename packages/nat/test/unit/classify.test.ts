import { expect } from 'chai';
import { classifyMappingPlain, classifyMappingRfc5780, classifyPortAllocation } from '../../src/index.js';

const local = [{ address: '10.0.0.2', port: 40000 }];
const S = (address: string, port: number, mAddr: string, mPort: number) => ({ server: { address, port }, mapped: { address: mAddr, port: mPort } });

describe('discovery/classify', () => {
  describe('#classifyMappingRfc5780', () => {
    const rows = [
      { name: 'no answer', t: [undefined, undefined, undefined], expect: 'unknown' },
      { name: 'mapped = local', t: [S('a', 1, '10.0.0.2', 40000), undefined, undefined], expect: 'none' },
      { name: 'II equals I', t: [S('a', 1, 'p', 5), S('b', 1, 'p', 5), undefined], expect: 'endpoint-independent' },
      { name: 'II differs, III equals II', t: [S('a', 1, 'p', 5), S('b', 1, 'p', 6), S('b', 2, 'p', 6)], expect: 'address-dependent' },
      { name: 'II differs, III differs', t: [S('a', 1, 'p', 5), S('b', 1, 'p', 6), S('b', 2, 'p', 7)], expect: 'address-and-port-dependent' },
      { name: 'II differs, III lost', t: [S('a', 1, 'p', 5), S('b', 1, 'p', 6), undefined], expect: 'unknown' },
    ] as const;
    for (const row of rows) {
      it(`gives ${row.expect} when ${row.name}`, () => {
        expect(classifyMappingRfc5780(local, row.t[0], row.t[1], row.t[2])).to.equal(row.expect);
      });
    }
  });

  describe('#classifyMappingPlain', () => {
    it('needs two server IPs to call the mapping endpoint-independent', () => {
      expect(classifyMappingPlain(local, [S('a', 1, 'p', 5)])).to.deep.equal({ mapping: 'unknown', variesByDestIp: undefined });
      expect(classifyMappingPlain(local, [S('a', 1, 'p', 5), S('b', 1, 'p', 5)])).to.deep.equal({ mapping: 'endpoint-independent', variesByDestIp: false });
    });
    it('tells address-dependent from address-and-port-dependent only with a same-IP pair', () => {
      expect(classifyMappingPlain(local, [S('a', 1, 'p', 5), S('b', 1, 'p', 6), S('a', 2, 'p', 5)]).mapping).to.equal('address-dependent');
      expect(classifyMappingPlain(local, [S('a', 1, 'p', 5), S('b', 1, 'p', 6), S('a', 2, 'p', 7)]).mapping).to.equal('address-and-port-dependent');
      expect(classifyMappingPlain(local, [S('a', 1, 'p', 5), S('b', 1, 'p', 6)])).to.deep.equal({ mapping: 'unknown', variesByDestIp: true });
    });
  });

  describe('#classifyPortAllocation', () => {
    const rows = [
      { samples: [], expect: 'unknown' },
      { samples: [[40000, 40000]], expect: 'preserving' },
      { samples: [[40000, 40000], [40001, 40001]], expect: 'preserving' },
      { samples: [[40000, 20020]], expect: 'unknown' },
      { samples: [[40000, 20020], [40000, 20021], [40001, 20023]], expect: 'sequential' },
      { samples: [[40000, 65535], [40000, 1], [40000, 3]], expect: 'sequential' },
      { samples: [[40000, 25661], [40000, 5806], [40000, 6539]], expect: 'random' },
      { samples: [[40000, 20021], [40000, 20020], [40000, 20022]], expect: 'sequential' },
      { samples: [[40000, 20020], [40000, 20100]], expect: 'random' },
    ];
    for (const row of rows) {
      it(`gives ${row.expect} for ${JSON.stringify(row.samples)}`, () => {
        expect(classifyPortAllocation(row.samples.map(([localPort, mappedPort]) => ({ localPort: localPort!, mappedPort: mappedPort! })))).to.equal(row.expect);
      });
    }
  });
});
