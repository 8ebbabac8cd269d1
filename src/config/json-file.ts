// Reading the JSON files settings point at (identity file, policy file): CONFIG_INVALID naming the
// file and every problem by its field, with a hint to the page that shows the format.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { ModgateError } from '../errors/modgate-error.js';

/** Parses `text` (the contents of `file`) with `schema`; `doc` is the page showing the format. */
export function parseJsonFile<S extends z.ZodType>(schema: S, text: string, file: string, doc: string): z.output<S> {
  const hint = `see ${doc} for the format`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModgateError('CONFIG_INVALID', `${file}: not JSON (${(err as Error).message})`, { hint });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ');
    throw new ModgateError('CONFIG_INVALID', `${file}: ${issues}`, { hint });
  }
  return r.data;
}

/** The text of `file` (`what` names it in the error: "identity file", "policy file"). */
export async function readSettingFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ModgateError('CONFIG_INVALID', `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
