// A command-line argument of prewarm or export as a walk input: a go.mod / go.sum file (read here,
// with its directory for local-directory replacements) or module@version.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { ModgateError } from '../errors/modgate-error.js';
import type { PrewarmInput } from '../service/prewarm-run.js';

export async function readWalkInput(command: string, arg: string): Promise<PrewarmInput> {
  const st = await stat(arg).catch(() => undefined);
  if (st?.isFile()) {
    const text = await readFile(arg, 'utf8');
    return basename(arg).endsWith('.sum') ? { kind: 'go.sum', name: arg, text } : { kind: 'go.mod', name: arg, text, dir: dirname(resolve(arg)) };
  }
  if (arg.includes('@') && !arg.includes('/@') && !st) return { kind: 'module', name: arg };
  throw new ModgateError('INVALID_REQUEST', `${command}: ${arg}: not a file and not module@version`, {
    hint: 'pass go.mod or go.sum files, or module@version (e.g. golang.org/x/text@v0.14.0)',
  });
}
