// Helpers for interop tests against the openssl binary (Debian's OpenSSL 3): certificate files made
// with `openssl req`/`x509` in a temp dir, and s_server/s_client children we own and stop by pid.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long a wait for openssl output may take before the test fails (generous: 2 shared cores). */
export const WAIT_MS = 10_000;

export interface CertFiles {
  dir: string;
  caCert: string;
  caKey: string;
  /** Leaf for CN=localhost signed by the CA. */
  serverCert: string;
  serverKey: string;
  /** Self-signed leaf for an openssl client. */
  clientCert: string;
  clientKey: string;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** Makes a CA, a CA-signed localhost server leaf and a self-signed client cert, all ECDSA P-256. */
export function makeCertFiles(): CertFiles {
  const dir = mkdtempSync(join(tmpdir(), 'meshpunch-dtls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=meshpunch test CA', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  openssl(['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:localhost\\n" > ext.cnf'], { cwd: dir });
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf'], dir);
  openssl(['req', '-x509', ...ec, '-keyout', 'client.key', '-out', 'client.pem', '-subj', '/CN=openssl client', '-days', '2'], dir);
  return {
    dir,
    caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'), clientKey: join(dir, 'client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** An openssl child with its combined output collected; `stop()` kills it by its own pid. */
export class OpenSslProcess {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  exited = false;
  readonly #waiters: Array<() => void> = [];

  constructor(args: string[]) {
    this.child = spawn('openssl', args, { stdio: 'pipe' });
    const onData = (b: Buffer): void => {
      this.output += b.toString('latin1');
      for (const w of this.#waiters.splice(0)) w();
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    // 'close', not 'exit': output still in the pipes at the exit is read first, so a wait for it
    // does not fail with "exited before".
    this.child.on('close', () => {
      this.exited = true;
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Resolves with the first match of `re` in the output; rejects after WAIT_MS with the output so far. */
  waitFor(re: RegExp, what = re.source): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`openssl: no ${what} within ${WAIT_MS} ms; output:\n${this.output}`)), WAIT_MS);
      const check = (): void => {
        const m = this.output.match(re);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m);
        } else if (this.exited) {
          clearTimeout(timer);
          reject(new Error(`openssl exited before ${what}; output:\n${this.output}`));
        } else this.#waiters.push(check);
      };
      check();
    });
  }

  write(line: string): void {
    this.child.stdin.write(line);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  stop(): void {
    if (!this.exited && this.child.pid !== undefined) this.child.kill('SIGKILL');
  }
}

/** Starts `openssl s_server -dtls1_2` on an ephemeral loopback port and resolves with that port. */
export async function startServer(args: string[]): Promise<{ proc: OpenSslProcess; port: number }> {
  const proc = new OpenSslProcess(['s_server', '-dtls1_2', '-accept', '127.0.0.1:0', ...args]);
  const m = await proc.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, 'ACCEPT line');
  return { proc, port: Number(m[1]) };
}
