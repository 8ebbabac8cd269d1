// The text formats of the checksum database log: tree notes (`go.sum database tree\n<N>\n<hash>\n`)
// and lookup records (`<id>\n<record text>\n<rest>`), with Go's validation rules (tlog/note.go).

import { ModgateError } from '../errors/modgate-error.js';
import { HASH_SIZE, type Tree } from './tlog.js';

const TREE_PREFIX = 'go.sum database tree\n';
const STRICT_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard padded base64 strictly (as Go's base64.StdEncoding), or returns undefined. */
export function decodeBase64Strict(s: string): Buffer | undefined {
  if (!STRICT_B64.test(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  // Go rejects non-zero padding bits; re-encoding detects them.
  return buf.toString('base64') === s ? buf : undefined;
}

/** The note text of a tree head. */
export function formatTree(tree: Tree): string {
  return `${TREE_PREFIX}${tree.n}\n${tree.hash.toString('base64')}\n`;
}

/** Parses a tree note text (extra lines after the hash are allowed, as in Go); throws SUMDB_ERROR. */
export function parseTree(text: string): Tree {
  const bad = (): never => {
    throw new ModgateError('SUMDB_ERROR', 'malformed tree note');
  };
  if (!text.startsWith(TREE_PREFIX) || text.split('\n').length - 1 < 3 || Buffer.byteLength(text) > 1e6) bad();
  const lines = text.split('\n');
  const nText = lines[1]!;
  if (!/^(0|[1-9][0-9]*)$/.test(nText)) bad();
  const n = Number(nText);
  if (!Number.isSafeInteger(n)) bad();
  const hash = decodeBase64Strict(lines[2]!);
  if (!hash || hash.length !== HASH_SIZE) bad();
  return { n, hash: hash! };
}

/** Go's isValidRecordText: UTF-8, no control characters but '\n', no blank lines, ends with '\n'. */
export function isValidRecordText(text: Buffer): boolean {
  const s = text.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(text)) return false;
  if (!s.endsWith('\n')) return false;
  if (s.includes('\n\n')) return false;
  return !/[\u0000-\u0009\u000b-\u001f]/.test(s);
}

/** Formats a lookup record: `<id>\n<text>\n`; throws SUMDB_ERROR if the text is not valid record text. */
export function formatRecord(id: number, text: Buffer): Buffer {
  if (!isValidRecordText(text)) throw new ModgateError('SUMDB_ERROR', 'malformed record data');
  return Buffer.concat([Buffer.from(`${id}\n`), text, Buffer.from('\n')]);
}

/** Parses a lookup response: the record id, its text (through its final '\n') and the rest (the signed tree note). */
export function parseRecord(msg: Buffer): { id: number; text: Buffer; rest: Buffer } {
  const bad = (): never => {
    throw new ModgateError('SUMDB_ERROR', 'malformed record data');
  };
  const nl = msg.indexOf(0x0a);
  if (nl < 0) bad();
  const idText = msg.subarray(0, nl).toString('latin1');
  // Go's strconv.ParseInt: optional sign, decimal digits (leading zeros allowed).
  if (!/^[+-]?[0-9]+$/.test(idText)) bad();
  const id = Number(idText);
  if (!Number.isSafeInteger(id)) bad();
  const body = msg.subarray(nl + 1);
  const split = body.indexOf('\n\n');
  if (split < 0) bad();
  const text = body.subarray(0, split + 1);
  if (!isValidRecordText(text)) bad();
  return { id, text, rest: body.subarray(split + 2) };
}
