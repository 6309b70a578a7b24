// /metrics text: fixed series, valid exposition lines.
import { expect } from 'chai';
import { SignalingMetrics } from '../../src/core/metrics.js';
import { renderPrometheus } from '../../src/core/prometheus.js';

describe('renderPrometheus', () => {
  it('renders every series with HELP and TYPE, labels from fixed sets only', () => {
    const m = new SignalingMetrics();
    m.messagesIn['lobby.join'] = 3;
    m.errors.SIG_LOBBY_FULL = 2;
    m.pairResults['connected/lan'] = 4;
    m.pairResults['failed/timeout'] = 1;
    m.closes.HelloTimeout = 5;
    m.probeReportsKept = 6;
    m.probeReportsRejected = 2;
    const text = renderPrometheus(m, { connections: 7, lobbies: 2, members: 5, residentBytes: 1, heapUsedBytes: 2 }, { requests: 3, answered: 2, rejected: 0, malformed: 1, ignored: 0, limited: 0 });
    expect(text).to.include('meshpunch_signal_connections 7\n');
    expect(text).to.include('meshpunch_signal_messages_in_total{type="lobby.join"} 3\n');
    expect(text).to.include('meshpunch_signal_errors_total{code="SIG_LOBBY_FULL"} 2\n');
    expect(text).to.include('meshpunch_signal_pair_results_total{outcome="connected",path="lan"} 4\n');
    expect(text).to.include('meshpunch_signal_pair_results_total{outcome="failed",reason="timeout"} 1\n');
    expect(text).to.include('meshpunch_signal_closes_total{code="4001",name="HelloTimeout"} 5\n');
    expect(text).to.include('meshpunch_signal_probe_reports_total{result="kept"} 6\nmeshpunch_signal_probe_reports_total{result="rejected"} 2\n');
    expect(text).to.include('meshpunch_signal_stun_requests_total{result="answered"} 2\n');
    for (const line of text.trim().split('\n')) {
      expect(line, line).to.match(/^(# (HELP|TYPE) meshpunch_signal_\w+ .+|meshpunch_signal_\w+(\{[a-z]+="[^"]+"(,[a-z]+="[^"]+")*\})? \d+)$/);
    }
  });
});
