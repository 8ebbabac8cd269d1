// TLS for clients (--tls-cert/--tls-key): the PEM files are read at start and again whenever either
// changes; the new pair is put into the running server with setSecureContext, so connections stay
// open and new handshakes get the new certificate. A pair that does not load (half-written, key
// not matching) leaves the previous one in force.
import { readFile } from 'node:fs/promises';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import { ModgateError } from '../errors/modgate-error.js';
import { watchForChanges, type FileWatch } from '../config/watched-file.js';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Reads and checks the pair (createSecureContext fails on a key that does not match the certificate). */
export async function readTlsPair(files: TlsFiles): Promise<TlsPair> {
  let pair: TlsPair;
  try {
    pair = { cert: await readFile(files.cert), key: await readFile(files.key) };
  } catch (err) {
    throw new ModgateError('CONFIG_INVALID', `cannot read the TLS certificate or key: ${(err as Error).message}`, { hint: '--tls-cert and --tls-key name PEM files' });
  }
  try {
    createSecureContext(pair);
  } catch (err) {
    throw new ModgateError('CONFIG_INVALID', `the TLS certificate ${files.cert} and key ${files.key} do not load: ${(err as Error).message}`);
  }
  return pair;
}

/** Reloads the pair into the server when a file changes; onReload reports each attempt. */
export function watchTlsPair(server: TlsServer, files: TlsFiles, onReload: (err?: Error) => void): FileWatch {
  return watchForChanges([files.cert, files.key], () => {
    readTlsPair(files).then(
      (pair) => {
        server.setSecureContext(pair);
        onReload();
      },
      (err: Error) => onReload(err),
    );
  });
}
