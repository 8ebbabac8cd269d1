// An S3-compatible server for tests: s3rver (npm) in a child process on 127.0.0.1, a random port
// and a temp dir, with one bucket (see s3rver-child.ts for what is adjusted to behave like S3).
// `stop()` ends the child and removes its files; the child also exits if this process dies.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild } from './process-runner.js';

const CHILD = fileURLToPath(new URL('./s3rver-child.ts', import.meta.url));

export interface S3TestServer {
  /** e.g. http://127.0.0.1:41234 (use path-style addressing). */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  stop(): Promise<void>;
}

/** Starts s3rver with one bucket (named `modgate-test` unless given). */
export async function startS3Server(opts: { readonly bucket?: string } = {}): Promise<S3TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-s3rver-'));
  const bucket = opts.bucket ?? 'modgate-test';
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', CHILD, dir, bucket], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const untrack = trackChild(child);
  const exited = once(child, 'exit');
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 20 s:\n${output}`)), 20_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      const m = /\{"port":(\d+)\}/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}:\n${output}`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      untrack();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
