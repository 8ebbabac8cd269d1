// Starts the real modgate CLI (bin/modgate, built dist/) as a child process on a random loopback
// port, waits for its "listening on" line, and collects its log lines; stop() or kill() ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));

export interface ModgateProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Raw stdout+stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface StartModgateOptions {
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

export async function startModgate(opts: StartModgateOptions): Promise<ModgateProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '--log-format', 'json', ...opts.args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const logs: Array<Record<string, unknown>> = [];
  let pending = '';
  const exited = once(proc, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: on a loaded shared machine startup alone has taken over 10 s. A child that does not
    // start is killed, so it cannot outlive the test.
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`modgate did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      out += text;
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('{')) {
          try {
            logs.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // not a log line
          }
        }
        const m = /listening on (https?:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`modgate exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    url,
    proc,
    logs,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
