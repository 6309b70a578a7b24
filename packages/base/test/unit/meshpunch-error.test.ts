import { expect } from 'chai';
import { MeshpunchError } from '../../src/index.js';

class DemoError extends MeshpunchError<'ERR_INVALID_PARAMETER' | 'DEMO_FAILED'> {
  override readonly name = 'DemoError';
}

describe('MeshpunchError', () => {
  it('carries code, name, frozen details and cause, and is an Error of its subclass', () => {
    const cause = new Error('inner');
    const e = new DemoError('DEMO_FAILED', 'demo failed', { got: 3 }, cause);
    expect(e).to.be.instanceOf(DemoError).and.instanceOf(MeshpunchError).and.instanceOf(Error);
    expect([e.code, e.name, e.message, e.cause]).to.deep.equal(['DEMO_FAILED', 'DemoError', 'demo failed', cause]);
    expect(e.details).to.deep.equal({ got: 3 });
    expect(Object.isFrozen(e.details)).to.equal(true);
    expect(String(e)).to.equal('DemoError: demo failed');
  });

  it('has no cause property when none is given', () => {
    expect('cause' in new DemoError('ERR_INVALID_PARAMETER', 'x')).to.equal(false);
  });
});
