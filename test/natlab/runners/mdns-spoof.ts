// LAN lab runner (inside a lab namespace only, issue #16): a hostile mDNS neighbour. Every
// 200 ms, for `rounds` rounds, it multicasts onto the lab LAN (224.0.0.251:5353 out of
// <ifaceAddr>): random garbage, a truncated header, a packet of 500 records, and meshpunch
// adverts that lie — hosts of the lobby at addresses where nothing listens or where a TCP
// listener that is no meshpunch service hangs up, a candidate with the
// lowest possible token that never hosts, an instance name that does not match its token, a bad
// lobby name, an advert claiming another agent's token, and a real TCP listener advertised as
// the host of another lobby. Prints "ready" once bound, then "done <datagrams>".
//   mdns-spoof <ifaceAddr> <lobby> <otherLobby> <rounds>
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import packet from 'dns-packet';

const [iface, lobby, other, roundsText] = process.argv.slice(2);
const rounds = Math.min(600, Number(roundsText));
const SVC = '_meshpunch._tcp.local';

function advert(token: string, role: string, lob: string, address: string, port: number, version = 1, instance = `mp-${token}.${SVC}`): Buffer {
  return packet.encode({
    type: 'response',
    flags: packet.AUTHORITATIVE_ANSWER,
    answers: [
      { name: SVC, type: 'PTR', ttl: 10, data: instance },
      { name: instance, type: 'TXT', ttl: 10, data: [`v=${version}`, `role=${role}`, `lobby=${lob}`, `tok=${token}`, 'members=99', 'pw=0', 'mode=mesh'] },
      { name: instance, type: 'SRV', ttl: 10, data: { port, target: `mp-${token}.local`, priority: 0, weight: 0 } },
      { name: `mp-${token}.local`, type: 'A', ttl: 10, data: address },
    ],
  });
}

async function main(): Promise<void> {
  const listener = createServer((s) => s.destroy());
  await new Promise<void>((r) => listener.listen(0, iface, () => r()));
  const listenPort = (listener.address() as { port: number }).port;
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => sock.bind(0, iface, () => r()));
  sock.setMulticastInterface(iface!);
  const many = packet.encode({ type: 'response', answers: Array.from({ length: 500 }, (_, i) => ({ name: SVC, type: 'PTR' as const, ttl: 10, data: `x${i}.${SVC}` })) });
  const batch = (): Buffer[] => [
    randomBytes(1 + Math.floor(Math.random() * 1400)),
    randomBytes(12),
    Buffer.from([0, 0, 0x84, 0, 0, 1, 0, 5, 0, 0, 0, 0, 7]),
    many,
    // Hosts of the lobby where nothing listens (an absent address, a closed port here).
    advert('ffffffffffffff01', 'host', lobby!, '10.77.1.250', 9),
    advert('ffffffffffffff02', 'host', lobby!, iface!, 9),
    // The lowest token, as a candidate that never hosts.
    advert('0000000000000000', 'candidate', lobby!, iface!, 9),
    // Instance name that is not its token's; a bad lobby name; a TXT of the wrong version.
    advert('ffffffffffffff03', 'host', lobby!, iface!, listenPort, 1, `mp-aaaaaaaaaaaaaaaa.${SVC}`),
    advert('ffffffffffffff04', 'host', 'Bad Lobby!', iface!, listenPort),
    advert('ffffffffffffff05', 'host', lobby!, iface!, listenPort, 2),
    // A real TCP listener that is no meshpunch service, as the host of the lobby itself.
    advert('ffffffffffffff07', 'host', lobby!, iface!, listenPort),
    // A real listener (not a meshpunch service) as the host of another lobby.
    advert('ffffffffffffff06', 'host', other!, iface!, listenPort),
  ];
  console.log('ready');
  let sent = 0;
  for (let i = 0; i < rounds; i++) {
    for (const b of batch()) {
      sock.send(b, 5353, '224.0.0.251');
      sent++;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`done ${sent}`);
  sock.close();
  listener.close();
}

void main();
