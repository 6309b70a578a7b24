// Log lines gathered per event-loop turn (line-batch.ts).
import { expect } from 'chai';
import { batchLines } from '../../src/adapter/line-batch.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('batchLines', () => {
  it('writes the lines of one turn in one write, in order, at the end of the turn', async () => {
    const writes: string[] = [];
    const b = batchLines((t) => writes.push(t));
    b.write('a\n');
    b.write('b\n');
    b.write('c\n');
    expect(writes).to.deep.equal([]);
    await nextTurn();
    expect(writes).to.deep.equal(['a\nb\nc\n']);
    b.write('d\n');
    await nextTurn();
    expect(writes).to.deep.equal(['a\nb\nc\n', 'd\n']);
  });

  it('writes at once past maxBytes, and flush() writes what is pending (the exit hook)', async () => {
    const writes: string[] = [];
    const b = batchLines((t) => writes.push(t), 8);
    b.write('1234\n');
    expect(writes).to.have.length(0);
    b.write('5678\n');
    expect(writes).to.deep.equal(['1234\n5678\n']);
    b.write('x\n');
    b.flush();
    expect(writes).to.deep.equal(['1234\n5678\n', 'x\n']);
    b.flush();
    await nextTurn();
    expect(writes).to.have.length(2);
  });
});
