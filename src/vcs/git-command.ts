// Runs the system git binary for direct mode: an argument array (never a shell), prompts and
// askpass disabled, a timeout, killed when the caller aborts, output bounded. Credentials travel
// only in the child's environment (GIT_CONFIG_* entries), never in argv, logs or error messages.
import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { ModgateError } from '../errors/modgate-error.js';

export interface GitRunOptions {
  /** Working directory (a bare mirror); undefined for commands that need none. */
  readonly cwd?: string;
  readonly args: readonly string[];
  /** Extra environment (credentials as GIT_CONFIG_COUNT/KEY/VALUE entries). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Refuse (kill) after this many stdout bytes; default 64 MiB. */
  readonly maxStdout?: number;
  /** Where stdout goes instead of memory (a file path), for archives. */
  readonly stdoutFile?: string;
  /** Subject for messages, e.g. "git fetch github.com/x/y". Never contains credentials. */
  readonly what: string;
}

export interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** The variables modgate sets itself (its --git-config and credential entries): inherited ones are dropped. */
const OWN_CONFIG_ENTRY = /^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)$/;

/**
 * The base environment of every git run: no prompts, no askpass, no pager, C locale messages. The
 * user's own git configuration (HOME, GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM, GIT_CONFIG_NOSYSTEM) is
 * kept, as the go command keeps it; only the entries modgate sets and repository selectors go.
 */
export function gitBaseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (OWN_CONFIG_ENTRY.test(k) || k === 'GIT_DIR' || k === 'GIT_WORK_TREE' || k === 'GIT_INDEX_FILE') delete env[k];
  }
  Object.assign(env, {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GCM_INTERACTIVE: 'never',
    GIT_PAGER: 'cat',
    LC_ALL: 'C',
    LANG: 'C',
    GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? 'ssh -o ControlMaster=no -o BatchMode=yes',
  });
  return env;
}

/** Removes anything that looks like a credential (user:pass@ in URLs, auth headers) from git output. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1')
    .replace(/(authorization:\s*)(basic|bearer|token)\s+\S+/gi, '$1$2 ***');
}

/** An abort reason or failure as an Error (AbortSignal reasons may be anything). */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * Runs git to completion. Resolves with the exit code (non-zero is not an error here); rejects with
 * VCS_ERROR when git cannot start, times out or produces too much output, and with the signal's
 * reason when aborted.
 */
export function runGit(opts: GitRunOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(asError(opts.signal.reason));
      return;
    }
    const env = { ...gitBaseEnv(), ...opts.env };
    const child = spawn('git', [...opts.args], {
      cwd: opts.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let failure: unknown;
    const max = opts.maxStdout ?? 64 << 20;
    const kill = (why: unknown): void => {
      failure ??= why;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const sink: WriteStream | undefined = opts.stdoutFile === undefined ? undefined : createWriteStream(opts.stdoutFile);
    sink?.on('error', (err) => kill(err));
    child.stdout?.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > max) kill(new ModgateError('VCS_ERROR', `${opts.what}: output larger than ${max} bytes`));
      else if (sink) {
        if (!sink.write(d)) {
          child.stdout?.pause();
          sink.once('drain', () => child.stdout?.resume());
        }
      }
      else out.push(d);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 64 << 10) stderr += d;
    });
    const timer = setTimeout(
      () => kill(new ModgateError('VCS_ERROR', `${opts.what}: timed out after ${Math.round(opts.timeoutMs / 1000)}s`)),
      opts.timeoutMs,
    );
    const onAbort = (): void => kill(opts.signal?.reason ?? new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => kill(new ModgateError('VCS_ERROR', `${opts.what}: cannot run git: ${err.message}`, { cause: err })));
    child.once('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const finish = (): void => {
        if (failure !== undefined) reject(asError(failure));
        else resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: scrubSecrets(stderr) });
      };
      if (sink) sink.end(() => finish());
      else finish();
    });
  });
}

/** Runs git and throws VCS_ERROR (with git's first stderr lines) unless it exits 0. */
export async function runGitOk(opts: GitRunOptions): Promise<Buffer> {
  const r = await runGit(opts);
  if (r.code !== 0) throw gitFailure(opts.what, r.stderr);
  return r.stdout;
}

/** A VCS_ERROR for a failed git command, quoting the interesting part of its stderr. */
export function gitFailure(what: string, stderr: string): ModgateError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:'))
    .slice(0, 4);
  return new ModgateError('VCS_ERROR', `${what}: ${lines.join('; ') || 'git failed'}`);
}
