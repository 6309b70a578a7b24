// Human-readable log lines for a terminal, and the choice between them and JSON lines.
import { expect } from 'chai';
import { createLog, createTextLog } from '../../src/adapter/text-log.js';

describe('text-log', () => {
  describe('#createTextLog', () => {
    it('writes `time level event key=value` lines at or above the level, quoting values with spaces', () => {
      const lines: string[] = [];
      const log = createTextLog('info', (l) => lines.push(l));
      log('debug', 'quiet', {});
      log('info', 'lobby.created', { lobby: 'game', mode: 'mesh', maxPeers: 8 });
      log('warn', 'connection.closed', { reason: 'went away', ok: false, empty: '' });
      expect(lines).to.have.length(2);
      expect(lines[0]).to.match(/^\d\d:\d\d:\d\d\.\d{3} info  lobby\.created lobby=game mode=mesh maxPeers=8\n$/);
      expect(lines[1]).to.match(/^\d\d:\d\d:\d\d\.\d{3} warn  connection\.closed reason="went away" ok=false empty=""\n$/);
    });
  });

  describe('#createLog', () => {
    const first = (format: 'auto' | 'json' | 'text', isTty: boolean): string => {
      const lines: string[] = [];
      createLog('info', format, isTty, (l) => lines.push(l))('info', 'listening', { port: 1 });
      return lines[0]!;
    };

    it('writes text on a terminal and JSON lines otherwise with `auto`', () => {
      expect(first('auto', true)).to.match(/^\d\d:\d\d:\d\d\.\d{3} info  listening port=1\n$/);
      expect(JSON.parse(first('auto', false))).to.deep.include({ level: 'info', event: 'listening', port: 1 });
    });

    it('writes what `json` or `text` says, terminal or not', () => {
      expect(JSON.parse(first('json', true))).to.deep.include({ event: 'listening' });
      expect(first('text', false)).to.match(/ info  listening port=1\n$/);
    });
  });
});
