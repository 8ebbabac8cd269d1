// A throwaway certificate authority for TLS tests, made with openssl: a CA certificate (for
// SSL_CERT_FILE / NODE_EXTRA_CA_CERTS / undici's `ca`) and server certificates for 127.0.0.1 it signs.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { runProcess } from './process-runner.js';

export interface TestCa {
  readonly caFile: string;
  readonly ca: Buffer;
  /** Issues a certificate for IP 127.0.0.1 and localhost; returns its cert and key files. */
  issue(name: string): Promise<{ certFile: string; keyFile: string }>;
  /** An undici dispatcher trusting this CA (ALPN as undici does: HTTP/1.1). */
  readonly dispatcher: Agent;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  const r = await runProcess('openssl', args, { cwd, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function createTestCa(dir: string): Promise<TestCa> {
  await openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=modgate test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const ca = await readFile(join(dir, 'ca.pem'));
  let serial = 1;
  return {
    caFile: join(dir, 'ca.pem'),
    ca,
    dispatcher: new Agent({ connect: { ca } }),
    async issue(name) {
      const ext = join(dir, `${name}.ext`);
      await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
      await openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial++ + Date.now()), '-out', `${name}.pem`, '-days', '2', '-extfile', ext], dir);
      return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
    },
  };
}
