// The signaling service advertising the lab's coturn as its relay (REST secret), no embedded
// relay: `node signal-coturn.js <host> <port> <turn host> <turn port> <secret>`. Prints
// `listening` once up; stops on SIGTERM. (The `meshpunch signal` flags for this are the
// service's; this runner needs only the library.)
import { SignalingServer } from '@meshpunch/signaling';

const [host, port, turnHost, turnPort, secret] = process.argv.slice(2);
const server = await SignalingServer.start({
  host: host!,
  port: Number(port),
  relay: { embedded: false, turnServers: [{ host: turnHost!, port: Number(turnPort) }], secret: secret! },
});
process.stdout.write('listening\n');
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
