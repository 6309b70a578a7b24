// capYoungGeneration (young-generation.ts): V8's new space stops growing at the cap. Run in a
// child process each (the V8 flag it sets is process-wide), holding on to what it allocates in
// small turns, as a service admitting connections does; without the cap the same work grows it.
import { execFile } from 'node:child_process';
import { expect } from 'chai';

const MODULE = new URL('../../src/adapter/young-generation.js', import.meta.url).href;

/** Runs the allocation in a child and returns its new space's committed size, MiB. */
function newSpaceAfterWork(capMiB: number | undefined): Promise<number> {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const cap = ${capMiB === undefined ? 'undefined' : capMiB};
    if (cap !== undefined) (await import(${JSON.stringify(MODULE)})).capYoungGeneration(cap);
    const keep = [];
    for (let turn = 0; turn < 3000; turn++) {
      for (let i = 0; i < 500; i++) keep.push({ n: i, list: [i], text: 'x' + i });
      await new Promise((r) => setImmediate(r));
    }
    const s = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    process.stdout.write(String(s.space_size / 1048576));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 120_000 }, (err, stdout) => (err === null ? resolve(Number(stdout)) : reject(err)));
  });
}

describe('capYoungGeneration', function () {
  this.timeout(240_000);

  it('keeps the new space at 2 × the cap per semi-space, where V8 alone grows it past that', async () => {
    const uncapped = await newSpaceAfterWork(undefined);
    const capped = await newSpaceAfterWork(2);
    expect(uncapped, 'the work grows an uncapped new space past 4 MiB').to.be.greaterThan(4);
    expect(capped).to.be.at.most(4);
  });
});
