// SignalingClient runs on `ws` (the service has its own server side, ws-server.ts): the exact
// version is pinned so a ws upgrade is a deliberate change.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const signalingDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const repoRoot = join(signalingDir, '..');

describe('ws', () => {
  it('resolves to exactly the version signaling/package.json and the lockfile pin', () => {
    const pkg = JSON.parse(readFileSync(join(signalingDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const pinned = pkg.dependencies['ws'];
    expect(pinned, 'signaling/package.json must pin ws exactly (no ^ or ~)').to.match(/^\d+\.\d+\.\d+$/);
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
    };
    expect(lock.packages['signaling']?.dependencies?.['ws'], 'lockfile entry of signaling/').to.equal(pinned);
    expect(lock.packages['node_modules/ws']?.version, 'lockfile resolution of ws').to.equal(pinned);
    const require = createRequire(join(signalingDir, 'package.json'));
    const installed = JSON.parse(readFileSync(require.resolve('ws/package.json'), 'utf8')) as { version: string };
    expect(installed.version, 'installed ws').to.equal(pinned);
  });
});
