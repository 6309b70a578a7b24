import { expect } from 'chai';
import { LOBBY_NAME_RULE, lobbyRefProblem } from '@meshpunch/protocol';
import { resolveJoinMeshOptions } from '../../src/adapter/options.js';
import { AgentError } from '../../src/errors.js';
import { CliUsageError, parseCommand } from '../../src/cli/flags.js';
import { helpText } from '../../src/cli/help.js';
import { notLocal } from './not-local.js';

function usage(argv: string[]): string {
  try {
    parseCommand(argv);
  } catch (err) {
    expect(err).to.be.instanceOf(CliUsageError);
    return (err as Error).message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

const base = ['join', '--signal', 'ws://127.0.0.1:8080', '--lobby', 'game-1'];

describe('flags', () => {
  describe('#parseCommand', () => {
    it('parses a full join command line', () => {
      const c = parseCommand([...base, '--create', '--password', 'pw', '--claim-secret', 'our table', '--max-peers', '8', '--upnp', '--insecure', '--stun', '127.0.0.1:3478', '--stun', '[::1]:3479', '--bind', '127.0.0.1', '--wait-peers', '4', '--timeout', '2.5', '--json']);
      expect(c).to.deep.equal({
        kind: 'join',
        flags: {
          lan: false, signal: 'ws://127.0.0.1:8080/', signals: ['ws://127.0.0.1:8080/'], lobby: 'game-1', create: true, createIfMissing: false, password: 'pw', claimSecret: 'our table', maxPeers: 8, upnp: true, insecure: true,
          stun: [{ address: '127.0.0.1', port: 3478 }, { address: '::1', port: 3479 }], bind: '127.0.0.1',
          waitPeers: 4, exchange: 0, timeoutS: 2.5, json: true,
        },
      });
    });

    it('links securely unless --insecure is given', () => {
      const c = parseCommand(base);
      expect(c.kind === 'join' && c.flags.insecure).to.equal(false);
    });

    it('defaults the timeout to 60 s with --wait-peers and to none without', () => {
      const a = parseCommand([...base, '--wait-peers', '3']);
      const b = parseCommand(base);
      expect(a.kind === 'join' && a.flags.timeoutS).to.equal(60);
      expect(b.kind === 'join' && b.flags.timeoutS).to.equal(undefined);
    });

    it('returns help for no arguments, --help, help COMMAND and COMMAND --help', () => {
      expect(parseCommand([])).to.deep.equal({ kind: 'help', topic: 'main' });
      expect(parseCommand(['--help'])).to.deep.equal({ kind: 'help', topic: 'main' });
      expect(parseCommand(['help', 'netcheck'])).to.deep.equal({ kind: 'help', topic: 'netcheck' });
      expect(parseCommand(['join', '--help'])).to.deep.equal({ kind: 'help', topic: 'join' });
      expect(parseCommand(['help', 'signal'])).to.deep.equal({ kind: 'help', topic: 'signal' });
      expect(parseCommand(['signal', '-h'])).to.deep.equal({ kind: 'signal', argv: ['-h'] });
    });

    it('parses --create-if-missing, with --max-peers', () => {
      const c = parseCommand([...base, '--create-if-missing', '--max-peers', '8']);
      expect(c.kind === 'join' && [c.flags.create, c.flags.createIfMissing, c.flags.maxPeers]).to.deep.equal([false, true, 8]);
      const d = parseCommand(base);
      expect(d.kind === 'join' && d.flags.createIfMissing).to.equal(false);
    });

    it('accepts a lobby code for joining', () => {
      const c = parseCommand(['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'ABCD-1234']);
      expect(c.kind === 'join' && c.flags.lobby).to.equal('ABCD-1234');
    });

    it('passes signal arguments through untouched', () => {
      expect(parseCommand(['signal', '--port', '9000'])).to.deep.equal({ kind: 'signal', argv: ['--port', '9000'] });
    });

    it('parses netcheck', () => {
      expect(parseCommand(['netcheck', '--stun', '127.0.0.1:3478', '--json'])).to.deep.equal({
        kind: 'netcheck', flags: { stun: [{ address: '127.0.0.1', port: 3478 }], upnp: false, json: true, timeoutS: 10 },
      });
    });

    const bad: Array<[string[], string]> = [
      [['frobnicate'], "unknown command 'frobnicate' (commands: join, lobbies, netcheck, signal)"],
      [['--lobby', 'x'], "unknown option '--lobby' (options go after a command: join, lobbies, netcheck, signal)"],
      [['join', '--lobby', 'x'], '--signal ws://HOST:PORT (or --lan) is required'],
      [['join', '--signal', 'ws://127.0.0.1:1'], '--lobby NAME is required'],
      [['join', '--signal', 'http://127.0.0.1:1', '--lobby', 'x'], "--signal must use ws:// or wss://, got 'http://'"],
      [['join', '--signal', 'nope', '--lobby', 'x'], "--signal must be a ws://HOST:PORT or wss://HOST:PORT URL, got 'nope'"],
      [['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'a b'], `--lobby must be a lobby name (${LOBBY_NAME_RULE}) or a lobby code like ABCD-1234, got 'a b'`],
      [[...base, '--wait-peers', '0'], "--wait-peers must be an integer 1..32 (members including you), got '0'"],
      [[...base, '--wait-peers', '33'], "--wait-peers must be an integer 1..32 (members including you), got '33'"],
      [[...base, '--wait-peers', 'x'], "--wait-peers must be an integer 1..32 (members including you), got 'x'"],
      [[...base, '--timeout', '-1'], "option '--timeout' needs a value (write --timeout=VALUE for a value starting with '-')"],
      [[...base, '--timeout=-1'], "--timeout must be a number of seconds > 0, got '-1'"],
      [[...base, '--lobby'], "option '--lobby <value>' needs a value"],
      [[...base, '--timeout', '0'], '--timeout must be 0 < seconds ≤ 86400, got 0'],
      [[...base, '--stun', '1.2.3.4'], "--stun: expected HOST:PORT, got '1.2.3.4'"],
      [[...base, '--bind', 'localhost'], "--bind must be an IPv4 or IPv6 address, got 'localhost'"],
      [[...base, '--bogus'], "unknown option '--bogus'"],
      [[...base, 'extra'], "unexpected argument 'extra'"],
      [[...base, '--password', ''], '--password must be 1..128 characters, got 0'],
      [[...base, '--claim-secret', ''], '--claim-secret must be 1..128 characters, got 0'],
      [['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'ABCD-1234', '--claim-secret', 's'], "--claim-secret needs a lobby name, got 'ABCD-1234'"],
      [[...base, '--json=yes'], "option '--json' does not take an argument"],
      [[...base, '--exchange', '5'], '--exchange needs --wait-peers (messages go out once the mesh is complete)'],
      [[...base, '--wait-peers', '2', '--exchange', '1001'], "--exchange must be an integer 0..1000, got '1001'"],
      [['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'Game', '--create'], `--lobby with --create must be a lobby name (${LOBBY_NAME_RULE}), got 'Game'`],
      [['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'Game'], `--lobby must be a lobby name (${LOBBY_NAME_RULE}) or a lobby code like ABCD-1234, got 'Game'`],
      [[...base, '--max-peers', '8'], '--max-peers needs --create or --create-if-missing (the creator sets the lobby size)'],
      [[...base, '--create', '--create-if-missing'], '--create and --create-if-missing exclude each other (--create fails when the lobby exists; --create-if-missing joins it then)'],
      [['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'ABCD-1234', '--create-if-missing'], `--lobby with --create-if-missing must be a lobby name (${LOBBY_NAME_RULE}), got 'ABCD-1234'`],
      [[...base, '--create', '--max-peers', '33'], "--max-peers must be an integer 2..32, got '33'"],
      [['netcheck'], '--stun HOST:PORT is required (meshpunch has no built-in public STUN server)'],
      [['help', 'nope'], "no help for unknown command 'nope'"],
    ];
    for (const [argv, message] of bad) {
      it(`rejects \`${argv.join(' ')}\` with one line`, () => {
        const m = usage(argv);
        expect(m).to.equal(message);
        expect(m).to.not.include('\n');
      });
    }
  });
});

describe('lobby names: one rule for help, CLI, library and service (issue 12 item 9)', () => {
  const names = ['lan-party', 'a', 'x'.repeat(64), 'x'.repeat(65), 'Game', 'GAME', '-x', '.x', 'a b', 'abcd-1234', 'ABCD-1234', 'abcd 1234', 'é', ''];
  for (const creates of [false, true]) {
    it(`CLI and library accept exactly what the protocol's rule accepts ${creates ? 'to create' : 'to join'}`, () => {
      const disagree: string[] = [];
      for (const name of names) {
        const want = lobbyRefProblem(name, creates) === undefined;
        let cli = true;
        try {
          parseCommand(['join', '--signal', 'ws://127.0.0.1:1', '--lobby', name, ...(creates ? ['--create'] : [])]);
        } catch {
          cli = false;
        }
        let lib = true;
        try {
          resolveJoinMeshOptions({ signal: 'ws://127.0.0.1:1', lobby: name, create: creates });
        } catch (err) {
          expect((err as { code?: string }).code).to.equal('ERR_INVALID_PARAMETER');
          expect((err as Error).message).to.include(LOBBY_NAME_RULE);
          lib = false;
        }
        if (cli !== want || lib !== want) disagree.push(`'${name}': rule ${want}, CLI ${cli}, library ${lib}`);
      }
      expect(disagree).to.deep.equal([]);
    });
  }

  it('help states the same rule', () => {
    expect(helpText('join').replace(/\s+/g, ' ')).to.include(LOBBY_NAME_RULE);
  });
});

describe('--bind / bindAddress: caught before joining (issue 12 item 9)', () => {
  const base = ['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'x'];
  it('refuses an address of no interface here: one line, a usage error (exit 2)', () => {
    const ip = notLocal();
    expect(usage([...base, '--bind', ip])).to.match(new RegExp(`^--bind ${ip.replace(/\./g, '\\.')} is not an address of this machine \\(its addresses: .*127\\.0\\.0\\.1.*; 0\\.0\\.0\\.0 binds them all\\)$`));
  });

  it('the library takes directReprobeMs (100..3600000, default 60 s) and relayReleaseMs (0..3600000, default 30 s)', () => {
    const base = { signal: 'ws://127.0.0.1:1', lobby: 'party' };
    const d = resolveJoinMeshOptions(base);
    expect([d.directReprobeMs, d.relayReleaseMs]).to.deep.equal([60_000, 30_000]);
    const c = resolveJoinMeshOptions({ ...base, directReprobeMs: 100, relayReleaseMs: 0 });
    expect([c.directReprobeMs, c.relayReleaseMs]).to.deep.equal([100, 0]);
    for (const [o, message] of [
      [{ directReprobeMs: 99 }, 'directReprobeMs must be an integer 100..3600000, got 99'],
      [{ directReprobeMs: 1.5 }, 'directReprobeMs must be an integer 100..3600000, got 1.5'],
      [{ relayReleaseMs: -1 }, 'relayReleaseMs must be an integer 0..3600000, got -1'],
      [{ relayReleaseMs: 3_600_001 }, 'relayReleaseMs must be an integer 0..3600000, got 3600001'],
    ] as const) {
      try {
        resolveJoinMeshOptions({ ...base, ...o });
        expect.fail('no throw');
      } catch (err) {
        expect((err as AgentError).code).to.equal('ERR_INVALID_PARAMETER');
        expect((err as AgentError).message).to.equal(message);
      }
    }
  });

  it('the library takes claimSecret with a lobby name only (a code is never claimed)', () => {
    expect(resolveJoinMeshOptions({ signal: 'ws://127.0.0.1:1', lobby: 'party', createIfMissing: true, claimSecret: 'our table' }).claimSecret).to.equal('our table');
    for (const [lobby, claimSecret, message] of [['ABCD-1234', 's', "claimSecret needs a lobby name, got 'ABCD-1234'"], ['party', '', 'claimSecret must be 1..128 characters']] as const) {
      try {
        resolveJoinMeshOptions({ signal: 'ws://127.0.0.1:1', lobby, claimSecret });
        expect.fail('no throw');
      } catch (err) {
        expect((err as AgentError).code).to.equal('ERR_INVALID_PARAMETER');
        expect((err as AgentError).message).to.equal(message);
      }
    }
  });

  it('the library throws AgentError ERR_INVALID_PARAMETER synchronously, before any connection', () => {
    const ip = notLocal();
    try {
      resolveJoinMeshOptions({ signal: 'ws://127.0.0.1:1', lobby: 'x', bindAddress: ip });
      expect.fail('no throw');
    } catch (err) {
      expect(err).to.be.instanceOf(AgentError);
      expect((err as AgentError).code).to.equal('ERR_INVALID_PARAMETER');
      expect((err as AgentError).message).to.match(new RegExp(`^bindAddress ${ip.replace(/\./g, '\\.')} is not an address of this machine`));
    }
  });

  it('accepts the wildcards and this machine\'s own addresses, in any spelling', () => {
    for (const ip of ['0.0.0.0', '::', '127.0.0.1', '::1', '0:0:0:0:0:0:0:1']) {
      const c = parseCommand([...base, '--bind', ip]);
      expect(c.kind === 'join' && c.flags.bind).to.equal(ip);
      expect(resolveJoinMeshOptions({ signal: 'ws://127.0.0.1:1', lobby: 'x', bindAddress: ip }).bindAddress).to.equal(ip);
    }
  });
});

describe('repeated flags (issue 12 item 9)', () => {
  const base = ['join', '--signal', 'ws://127.0.0.1:1', '--lobby', 'x'];
  const rows: Array<[string[], string]> = [
    [[...base, '--lobby', 'y'], '--lobby may be given once'],
    [[...base, '--bind', '127.0.0.1', '--bind', '0.0.0.0'], '--bind may be given once'],
    [[...base, '--json', '--json'], '--json may be given once'],
    [[...base, '--wait-peers', '2', '--wait-peers=3'], '--wait-peers may be given once'],
    [['netcheck', '--stun', '127.0.0.1:1', '--timeout', '1', '--timeout', '2'], '--timeout may be given once'],
  ];
  for (const [argv, message] of rows) it(`refuses \`${argv.slice(5).join(' ')}\`: ${message}`, () => expect(usage(argv)).to.equal(message));

  it('takes a repeatable flag (--stun) several times', () => {
    const c = parseCommand([...base, '--stun', '127.0.0.1:1', '--stun', '127.0.0.1:2']);
    expect(c.kind === 'join' && c.flags.stun.length).to.equal(2);
  });
});
