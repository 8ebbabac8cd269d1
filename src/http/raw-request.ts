// A strict, conservative reader of the HTTP/1.1 requests the raw front (raw-front.ts) may answer
// itself: `GET`/`HEAD` of an origin-form target, `HTTP/1.1`, CRLF line ends, header fields of token
// names and visible-ASCII values, one Host, no body (no Content-Length or Transfer-Encoding), no
// Upgrade/Expect, `Connection` absent, `keep-alive` or `close`, the whole head complete in the
// bytes at hand and at most MAX_HEAD bytes. Anything else is not read at all (undefined): the
// connection then goes to node:http, which decides what it is (a valid request, a 400, a wait).
// It never decides that a request is bad; it only recognises the plain ones.

/** The longest head (request line and header fields) read here; longer ones go to node:http. */
export const MAX_HEAD = 8192;

export interface RawRequest {
  readonly method: 'GET' | 'HEAD';
  /** The request target exactly as sent (what node:http's req.url is). */
  readonly url: string;
  /** The headers the hit path reads (absent = not sent); each was sent at most once. */
  readonly headers: { authorization?: string; 'if-none-match'?: string; 'if-modified-since'?: string; range?: string; 'if-range'?: string };
  /** The client asked to close the connection after this answer. */
  readonly close: boolean;
  /** Offset just past the request's final CRLF CRLF. */
  readonly end: number;
}

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** Bytes allowed in the target: RFC 3986 pchar, `/` and `?` (no `#`, no spaces, no controls, ASCII only). */
const TARGET = new Uint8Array(256);
/** tchar (RFC 9110 field names). */
const TOKEN = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alnum = /[A-Za-z0-9]/.test(ch);
  if (alnum || "-._~%!$&'()*+,;=:@/?".includes(ch)) TARGET[c] = 1;
  if (alnum || "!#$%&'*+-.^_`|~".includes(ch)) TOKEN[c] = 1;
}
const REQUEST_LINE_END = Buffer.from(' HTTP/1.1\r\n', 'latin1');

/** The names the reader looks at, lowercased; the value is the field's slot. */
const SLOT: Readonly<Record<string, number>> = {
  host: 1,
  authorization: 2,
  'if-none-match': 3,
  'if-modified-since': 4,
  connection: 5,
  range: 6,
  'if-range': 7,
  'content-length': 0,
  'transfer-encoding': 0,
  upgrade: 0,
  expect: 0,
};

/**
 * The plain request at `off` in `buf`, or undefined: incomplete, longer than MAX_HEAD, or anything
 * outside the accepted form (node:http is then the one to read it).
 */
export function readRequest(buf: Buffer, off: number): RawRequest | undefined {
  const len = buf.length;
  let method: 'GET' | 'HEAD';
  let i: number;
  if (buf[off] === 0x47 && buf[off + 1] === 0x45 && buf[off + 2] === 0x54 && buf[off + 3] === SP) {
    method = 'GET';
    i = off + 4;
  } else if (buf[off] === 0x48 && buf[off + 1] === 0x45 && buf[off + 2] === 0x41 && buf[off + 3] === 0x44 && buf[off + 4] === SP) {
    method = 'HEAD';
    i = off + 5;
  } else return undefined;
  const limit = Math.min(len, off + MAX_HEAD);
  if (buf[i] !== 0x2f) return undefined; // origin form: starts with '/'
  const targetStart = i;
  while (i < limit && TARGET[buf[i]!] === 1) i++;
  if (i + REQUEST_LINE_END.length > limit || !buf.subarray(i, i + REQUEST_LINE_END.length).equals(REQUEST_LINE_END)) return undefined;
  const url = buf.toString('latin1', targetStart, i);
  i += REQUEST_LINE_END.length;
  const values: Array<string | undefined> = [];
  let hosts = 0;
  for (;;) {
    if (i + 1 >= limit) return undefined;
    if (buf[i] === CR) {
      if (buf[i + 1] !== LF) return undefined;
      i += 2;
      break;
    }
    const nameStart = i;
    while (i < limit && TOKEN[buf[i]!] === 1) i++;
    if (i === nameStart || i >= limit || buf[i] !== COLON) return undefined;
    const name = buf.toString('latin1', nameStart, i).toLowerCase();
    i++;
    while (i < limit && (buf[i] === SP || buf[i] === HTAB)) i++;
    const valueStart = i;
    let valueEnd = i;
    for (; i < limit; i++) {
      const c = buf[i]!;
      if (c > SP && c < 0x7f) valueEnd = i + 1;
      else if (c !== SP && c !== HTAB) break;
    }
    if (i + 1 >= limit || buf[i] !== CR || buf[i + 1] !== LF) return undefined;
    i += 2;
    const slot = SLOT[name];
    if (slot === undefined) continue;
    if (slot === 0) return undefined;
    if (slot === 1) {
      hosts++;
      continue;
    }
    if (values[slot] !== undefined) return undefined; // sent twice: node:http decides how it joins
    values[slot] = buf.toString('latin1', valueStart, valueEnd);
  }
  if (hosts !== 1) return undefined;
  let close = false;
  const connection = values[5];
  if (connection !== undefined) {
    const c = connection.toLowerCase();
    if (c === 'close') close = true;
    else if (c !== 'keep-alive') return undefined;
  }
  const headers: RawRequest['headers'] = {};
  if (values[2] !== undefined) headers.authorization = values[2];
  if (values[3] !== undefined) headers['if-none-match'] = values[3];
  if (values[4] !== undefined) headers['if-modified-since'] = values[4];
  if (values[6] !== undefined) headers.range = values[6];
  if (values[7] !== undefined) headers['if-range'] = values[7];
  return { method, url, headers, close, end: i };
}
