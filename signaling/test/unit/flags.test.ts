// meshpunch-signal flags: every limit by flag and environment variable, errors in one sentence.
import { expect } from 'chai';
import { LIMIT_SPECS } from '../../src/core/limits.js';
import { RELAY_LIMIT_SPECS, relayLimitOption } from '../../src/core/relay-limits.js';
import { CliUsageError, envName, flagName, helpText, parseCli } from '../../src/cli/flags.js';

describe('flags', () => {
  describe('#parseCli', () => {
    it('gives the documented defaults with no flags and no environment', () => {
      expect(parseCli([], {})).to.deep.equal({
        help: false, version: false, host: '0.0.0.0', port: 8787, stun: true, stunPort: undefined, stunAlternateHost: undefined,
        stunAlternatePort: undefined, origins: [], adminHost: undefined, adminPort: undefined, ui: false, adminToken: undefined, logLevel: 'info', logFormat: 'auto', limits: {},
        relay: { embedded: true, turnServers: [], allowPrivate: false, limits: {} }, redis: undefined, workers: 1, workerMoves: true,
      });
    });

    it('reads --ui and --admin-token from flags and environment; a short token or one without --ui is an error', () => {
      expect(parseCli(['--ui', '--admin-token', 'a'.repeat(16)], {})).to.deep.include({ ui: true, adminToken: 'a'.repeat(16) });
      expect(parseCli([], { MESHPUNCH_SIGNAL_UI: '1', MESHPUNCH_SIGNAL_ADMIN_TOKEN: 'b'.repeat(20) })).to.deep.include({ ui: true, adminToken: 'b'.repeat(20) });
      expect(() => parseCli(['--ui', '--admin-token', 'short'], {})).to.throw(CliUsageError, '--admin-token must be 16..256 characters, got 5');
      expect(() => parseCli(['--admin-token', 'a'.repeat(16)], {})).to.throw(CliUsageError, '--admin-token needs --ui');
      expect(() => parseCli(['--ui', '--workers', '2', '--redis', 'redis://127.0.0.1:6379'], {})).to.throw(CliUsageError, /^--ui cannot be combined with --workers: a page's WebSocket reaches one worker, which holds only the lobbies homed on it/);
    });

    it('reads --redis, --redis-prefix, --redis-lease-ms and --workers (issue 14)', () => {
      expect(parseCli(['--redis', 'redis://10.1.2.3:6379/2'], {}).redis).to.deep.equal({ url: 'redis://10.1.2.3:6379/2', prefix: 'meshpunch:', leaseMs: 6000 });
      expect(parseCli([], { MESHPUNCH_SIGNAL_REDIS: 'redis://r:6379', MESHPUNCH_SIGNAL_REDIS_PREFIX: 'mp1:', MESHPUNCH_SIGNAL_WORKERS: '2' })).to.deep.include({
        redis: { url: 'redis://r:6379', prefix: 'mp1:', leaseMs: 6000 }, workers: 2,
      });
      expect(() => parseCli(['--redis', 'http://r'], {})).to.throw(CliUsageError, '--redis must be redis://');
      expect(() => parseCli(['--workers', '2'], {})).to.throw(CliUsageError, '--workers above 1 needs --redis');
      expect(parseCli(['--no-worker-moves'], {}).workerMoves).to.equal(false);
      expect(parseCli([], { MESHPUNCH_SIGNAL_NO_WORKER_MOVES: '1' }).workerMoves).to.equal(false);
      expect(() => parseCli(['--redis', 'redis://r:1', '--redis-lease-ms', '10'], {})).to.throw(CliUsageError, '--redis-lease-ms must be an integer');
    });

    it('reads every relay limit from its --relay- flag and MESHPUNCH_SIGNAL_RELAY_ variable; the flag wins', () => {
      const limitsOf = (r: ReturnType<typeof parseCli>['relay']): Record<string, number> => (r === false ? {} : r.limits ?? {}) as Record<string, number>;
      for (const s of RELAY_LIMIT_SPECS) {
        const key = relayLimitOption(s.key);
        expect(envName(key), key).to.match(/^MESHPUNCH_SIGNAL_RELAY_/);
        const v = String(s.min + 1);
        expect(limitsOf(parseCli([`--${flagName(key)}`, v], {}).relay)[s.key], key).to.equal(Number(v));
        expect(limitsOf(parseCli([], { [envName(key)]: v }).relay)[s.key], envName(key)).to.equal(Number(v));
        expect(limitsOf(parseCli([`--${flagName(key)}`, String(s.max)], { [envName(key)]: v }).relay)[s.key]).to.equal(s.max);
        expect(() => parseCli([`--${flagName(key)}`, String(s.min - 1)], {}), key).to.throw(CliUsageError, `--${flagName(key)} must be an integer`);
      }
    });

    it('reads the relay options: --no-relay, --turn-server with --relay-secret, --relay-ports, --relay-allow-private', () => {
      expect(parseCli(['--no-relay'], {}).relay).to.equal(false);
      expect(parseCli([], { MESHPUNCH_SIGNAL_NO_RELAY: '1' }).relay).to.equal(false);
      const a = parseCli(['--turn-server', '203.0.113.10:3478', '--turn-server', '[2001:db8::1]:3479', '--relay-secret', 'S', '--relay-ports', '40000-40999',
        '--relay-allow-private', '--relay-public-host', 'relay.example', '--relay-credential-ttl-s', '300', '--no-relay-embedded'], {});
      expect(a.relay).to.deep.equal({
        embedded: false, turnServers: [{ host: '203.0.113.10', port: 3478 }, { host: '2001:db8::1', port: 3479 }], allowPrivate: true, secret: 'S',
        relayPorts: { min: 40000, max: 40999 }, publicHost: 'relay.example', ttlS: 300, limits: {},
      });
      const b = parseCli([], { MESHPUNCH_SIGNAL_TURN_SERVERS: 'a:1, b:2', MESHPUNCH_SIGNAL_RELAY_SECRET: 'T', MESHPUNCH_SIGNAL_RELAY_ALLOW_PRIVATE: 'true' });
      expect(b.relay).to.deep.include({ turnServers: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }], secret: 'T', allowPrivate: true, embedded: true });
      expect(() => parseCli(['--turn-server', 'h:3478'], {})).to.throw(CliUsageError, '--turn-server needs --relay-secret');
      expect(() => parseCli(['--turn-server', 'nope', '--relay-secret', 'S'], {})).to.throw(CliUsageError, '--turn-server must be host:port, got "nope"');
      expect(() => parseCli(['--no-relay-embedded'], {})).to.throw(CliUsageError, '--no-relay-embedded needs a --turn-server');
      expect(() => parseCli(['--relay-ports', '5-4'], {})).to.throw(CliUsageError, '--relay-ports must be A-B with A ≤ B');
      expect(() => parseCli(['--relay-ports', '1000'], {})).to.throw(CliUsageError, '--relay-ports must be A-B, got "1000"');
    });

    it('reads every limit from its flag and from its environment variable; the flag wins', () => {
      for (const s of LIMIT_SPECS) {
        const v = String(s.min + 1 <= s.max ? s.min + 1 : s.min);
        expect(parseCli([`--${flagName(s.key)}`, v], {}).limits[s.key], s.key).to.equal(Number(v));
        expect(parseCli([], { [envName(s.key)]: v }).limits[s.key], envName(s.key)).to.equal(Number(v));
        expect(parseCli([`--${flagName(s.key)}`, String(s.max)], { [envName(s.key)]: v }).limits[s.key]).to.equal(s.max);
      }
    });

    it('reads host, ports, STUN, origins and log level from flags and environment', () => {
      const a = parseCli(['--host', '127.0.0.1', '--port', '0', '--stun-port', '3478', '--stun-alternate-host', '127.0.0.2', '--origin', 'https://a', '--origin', 'https://b', '--log-level', 'warn'], {});
      expect(a).to.deep.include({ host: '127.0.0.1', port: 0, stunPort: 3478, stunAlternateHost: '127.0.0.2', origins: ['https://a', 'https://b'], logLevel: 'warn' });
      const b = parseCli([], { MESHPUNCH_SIGNAL_PORT: '9000', MESHPUNCH_SIGNAL_NO_STUN: 'true', MESHPUNCH_SIGNAL_ORIGINS: 'https://x, https://y' });
      expect(b).to.deep.include({ port: 9000, stun: false, origins: ['https://x', 'https://y'] });
      expect(parseCli(['--no-stun'], {}).stun).to.equal(false);
    });

    it('reads --admin-port and --admin-host from flags and environment; --admin-host alone is an error', () => {
      expect(parseCli(['--admin-port', '9090', '--admin-host', '127.0.0.1'], {})).to.deep.include({ adminPort: 9090, adminHost: '127.0.0.1' });
      expect(parseCli([], { MESHPUNCH_SIGNAL_ADMIN_PORT: '0' })).to.deep.include({ adminPort: 0, adminHost: undefined });
      expect(() => parseCli(['--admin-host', '127.0.0.1'], {})).to.throw(CliUsageError, '--admin-host needs --admin-port');
      expect(() => parseCli(['--admin-port', '70000'], {})).to.throw(CliUsageError, '--admin-port must be an integer 0..65535, got 70000');
    });

    it('reads --log-format (auto, json, text) from its flag and MESHPUNCH_SIGNAL_LOG_FORMAT, and rejects others', () => {
      expect(parseCli(['--log-format', 'json'], {}).logFormat).to.equal('json');
      expect(parseCli([], { MESHPUNCH_SIGNAL_LOG_FORMAT: 'text' }).logFormat).to.equal('text');
      expect(() => parseCli(['--log-format', 'xml'], {})).to.throw(CliUsageError, '--log-format must be one of auto, json, text, got "xml"');
    });

    it('rejects bad values and unknown flags with one sentence', () => {
      const cases: Array<[string[], Record<string, string>, string]> = [
        [['--max-connections', '0'], {}, '--max-connections must be an integer 1..1000000, got 0'],
        [['--port', 'x'], {}, '--port must be an integer 0..65535, got "x"'],
        [[], { MESHPUNCH_SIGNAL_GRACE_MS: '-1' }, 'MESHPUNCH_SIGNAL_GRACE_MS must be an integer 0..3600000, got -1'],
        [['--log-level', 'loud'], {}, '--log-level must be one of error, warn, info, debug, got "loud"'],
      ];
      for (const [argv, env, msg] of cases) expect(() => parseCli(argv, env)).to.throw(CliUsageError, msg);
      expect(() => parseCli(['--bogus'], {})).to.throw(CliUsageError, /bogus/);
    });
  });

  describe('#helpText', () => {
    it('lists every limit with its flag, environment variable and default', () => {
      const text = helpText();
      for (const s of LIMIT_SPECS) {
        expect(text).to.include(`--${flagName(s.key)} <n>`);
        expect(text).to.include(envName(s.key));
        expect(text).to.include(`(default ${s.default}, ${s.min}..${s.max})`);
      }
    });
  });
});
