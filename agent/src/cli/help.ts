// Help texts of the `meshpunch` CLI (cli layer). Kept in one place so docs/cli.md can quote them.
import { LOBBY_CODE_EXAMPLE, LOBBY_NAME_RULE } from '@meshpunch/protocol';

const MAIN = `meshpunch — punch UDP holes and build a full ENet mesh between game peers

Usage:
  meshpunch join --signal ws://HOST:PORT --lobby NAME [options]
  meshpunch join --lan --lobby NAME [--password P] [options]
  meshpunch lobbies --lan [--json]
  meshpunch netcheck --stun HOST:PORT [--stun HOST:PORT ...] [--upnp] [--json]
  meshpunch signal [signaling service options]
  meshpunch help COMMAND | --help | --version

Commands:
  join      join (or create) a lobby, punch a link to every member, print the mesh
  lobbies   list the lobbies on this LAN (--lan)
  netcheck  report UDP reachability, the public endpoint and the NAT's behaviour
  signal    run the signaling service in this process (same as meshpunch-signal)

Exit codes: 0 success, 1 the run failed (the reason is printed), 2 bad command line.
`;

const JOIN = `Usage: meshpunch join --signal ws://HOST:PORT --lobby NAME [options]
       meshpunch join --lan --lobby NAME [--password P] [options]

Joins the lobby NAME on the signaling service (or creates it with --create), gets a peer id,
punches one ENet link per member and adds each to an ENetMultiplayerPeer mesh.

Options:
  --lan               no service to set up: find the lobby's host on the LAN over mDNS, or
                      host it (embedded service) when nobody does; another member takes over
                      when the host leaves. Excludes --signal, --create(-if-missing), --stun,
                      --upnp, --max-peers; --bind picks the LAN interface
  --signal URL        signaling service, ws://HOST:PORT or wss://HOST:PORT (required without
                      --lan; repeatable up to 16: nodes of one service, tried in turn)
  --lobby NAME        lobby name, ${LOBBY_NAME_RULE};
                      or, to join, a lobby code like ${LOBBY_CODE_EXAMPLE} (required)
  --create            create the lobby (you become peer 1) instead of joining it
  --create-if-missing join the lobby, creating it first if it does not exist yet: everyone
                      may run the same command, in any order (one of them becomes peer 1)
  --password P        lobby password (1..128 characters)
  --claim-secret S    the group's secret (1..128 characters, same on every member): only the
                      lobby NAME made with it is found or created, so nobody without it can
                      pre-create NAME and own your group (see docs/security.md)
  --max-peers N       with --create(-if-missing): the member limit of a lobby you create, 2..32 (default: the service's, 16)
  --upnp              ask the router for a UPnP port mapping per link
  --insecure          plain ENet links (no DTLS), for peers without DTLS (libenet, Godot);
                      by default every link is DTLS, authenticated by fingerprints
  --stun HOST:PORT    STUN server for the public endpoint (repeatable, up to 8);
                      default: the signaling service's embedded STUN responder
  --bind IP           local address of every link socket (default 0.0.0.0)
  --wait-peers N      wait until the mesh has N members (you included, 1..32), print it, exit
  --exchange N        with --wait-peers: then send N reliable messages to every peer through
                      the mesh and wait for N from each (0..1000; the report gets "exchange")
  --timeout SECONDS   give up after this long, reaching the service included (default 60
                      with --wait-peers; none without)
  --json              print exactly one JSON object at the end instead of the table:
                      { id, lobby, peers: [{ id, path, rttMs, local, remote }], failures: [{ id, reason }],
                        signaling: { state, outages } }, or { error: { code, message } } on failure
  -h, --help          this text

Without --wait-peers it stays in the mesh and prints every change until Ctrl-C.
The mesh outlives the signaling service: when it goes away the links stay, the agent says so
and reconnects (every --signal URL in turn, backoff with jitter), resumes or re-registers the
lobby under the same peer id. It may start before the service: it retries meanwhile.
Exit codes: 0 mesh complete (or left cleanly), 1 failure or timeout, 2 bad command line,
130 interrupted (Ctrl-C, SIGTERM) before the --wait-peers mesh was complete.
`;

const NETCHECK = `Usage: meshpunch netcheck --stun HOST:PORT [--stun HOST:PORT ...] [--upnp] [--json]

Asks STUN servers from one UDP socket and reports: whether UDP works, the public endpoint,
mapping and filtering behaviour (RFC 4787; filtering needs a server with two addresses,
RFC 5780), the port-allocation pattern, the UPnP gateway and its external address, STUN RTTs,
and a plain-language verdict.

Options:
  --stun HOST:PORT    STUN server (required, repeatable up to 8)
  --upnp              also look for a UPnP internet gateway on the LAN
  --timeout SECONDS   overall limit (default 10); at the limit, what is known is reported
  --json              print { udp, publicAddress, addressClass, publicAddressV6,
                      mappingBehavior, filteringBehavior, portAllocation, upnp, stunRttMs,
                      verdict }
  -h, --help          this text

Exit codes: 0 report printed, 1 the check could not run, 2 bad command line.
`;

const SIGNAL = `Usage: meshpunch signal [options]

Runs the meshpunch signaling service (lobbies, peer ids, candidate relay, punch scheduling,
embedded STUN responder) in the foreground, in this process; the same command line as
meshpunch-signal, which documents the options (meshpunch signal --help prints them).
`;

const LOBBIES = `Usage: meshpunch lobbies --lan [--json] [--bind IP] [--timeout SECONDS]

Asks this LAN over mDNS (DNS-SD, _meshpunch._tcp) for meshpunch lobbies and lists them: name,
host (the address of its signaling service), members, password yes/no, mode.

Options:
  --lan               required: lobbies on this LAN
  --bind IP           ask on the interface with this address only (default: every LAN interface)
  --timeout SECONDS   how long to listen for answers (default 1.5, at most 60)
  --json              print { lobbies: [{ name, host, members, password, mode, hosts }] }
  -h, --help          this text
`;

/** The help text for a topic. */
export function helpText(topic: 'main' | 'join' | 'netcheck' | 'signal' | 'lobbies'): string {
  switch (topic) {
    case 'lobbies':
      return LOBBIES;
    case 'join':
      return JOIN;
    case 'netcheck':
      return NETCHECK;
    case 'signal':
      return SIGNAL;
    default:
      return MAIN;
  }
}
