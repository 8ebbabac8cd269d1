// A go.mod parser for proxy work (after x/mod/modfile): module path and deprecation, go and
// toolchain directives, require (with "// indirect"), exclude, replace and retract (with rationale).

import { ModgateError } from '../errors/modgate-error.js';
import type { ErrorCode } from '../errors/modgate-error.js';
import { pathMajorError, splitPathVersion } from './check-path.js';
import { goQuote } from './go-quote.js';
import { GO_SPACE, GoModSyntaxError, goUnquote, tokenize } from './go-mod-lexer.js';
import type { Token } from './go-mod-lexer.js';
import { canonicalVersion } from './version.js';

export interface GoModRequire { readonly path: string; readonly version: string; readonly indirect: boolean; readonly line: number }
export interface GoModExclude { readonly path: string; readonly version: string; readonly line: number }
/** version is '' when absent: an old side without one replaces every version; a new side without one is a directory. */
export interface GoModReplace {
  readonly old: { readonly path: string; readonly version: string };
  readonly new: { readonly path: string; readonly version: string };
  readonly isLocal: boolean;
  readonly line: number;
}
/** A single retracted version has low === high. */
export interface GoModRetract { readonly low: string; readonly high: string; readonly rationale: string; readonly line: number }

export interface GoModFile {
  readonly module: { readonly path: string; readonly deprecated: string } | undefined;
  readonly go: string | undefined;
  readonly toolchain: string | undefined;
  readonly require: readonly GoModRequire[];
  readonly exclude: readonly GoModExclude[];
  readonly replace: readonly GoModReplace[];
  readonly retract: readonly GoModRetract[];
}

export interface ParseGoModOptions {
  /** Used in error messages; default "go.mod". */
  readonly fileName?: string;
  /**
   * Strict (the go command's Parse, for a main module): unknown directives and malformed
   * exclude/replace/retract are errors. Lax (default; like ParseLax, as the go command reads
   * dependencies' go.mod files): unknown directives are ignored, and malformed
   * exclude/replace/retract lines are skipped (well-formed ones are still returned).
   */
  readonly strict?: boolean;
}

/** A statement: its tokens (comments removed), comments before it and its end-of-line comment. */
interface Stmt { tokens: string[]; line: number; col: number; before: string[]; suffix: string | undefined; block: Stmt | undefined }

const GO_VERSION_RE = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$/;
const LAX_GO_VERSION_RE = /^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)$/;
const BLOCK_VERBS = new Set(['module', 'require', 'exclude', 'replace', 'retract', 'godebug', 'tool', 'ignore']);
/** Directives newer go commands know; accepted (and otherwise ignored) in strict mode. */
const OTHER_VERBS = new Set(['godebug', 'tool', 'ignore']);

class StmtError extends Error {
  constructor(readonly code: ErrorCode, message: string) { super(message); }
}

function splitStatements(tokens: readonly Token[]): Stmt[] {
  const stmts: Stmt[] = [];
  let k = 0;
  const peek = (): Token => tokens[k] ?? { kind: 'eof', text: '', line: 0, col: 0 };
  const isEOL = (t: Token): boolean => t.kind === 'eol' || t.kind === 'eof' || t.kind === 'eolComment';
  let before: string[] = [];
  const readLine = (first: Token, block: Stmt | undefined, inBlock: boolean): Stmt => {
    const s: Stmt = { tokens: [first.text], line: first.line, col: first.col, before, suffix: undefined, block };
    before = [];
    for (;;) {
      const t = tokens[k++] ?? peek();
      if (isEOL(t)) {
        if (t.kind === 'eolComment') s.suffix = t.text;
        return s;
      }
      if (!inBlock && t.kind === '(') {
        if (isEOL(peek())) {
          if (peek().kind === 'eolComment') s.suffix = peek().text;
          k++;
          parseBlock(s);
          return s;
        }
        if (peek().kind === ')' && isEOL(tokens[k + 1] ?? peek())) {
          k += 2;
          return { ...s, tokens: [...s.tokens, '(', ')'] };
        }
      }
      s.tokens.push(t.text);
    }
  };
  const blocks = new Map<Stmt, Stmt[]>();
  const parseBlock = (head: Stmt): void => {
    const lines: Stmt[] = [];
    blocks.set(head, lines);
    for (;;) {
      const t = peek();
      if (t.kind === 'eof') throw new GoModSyntaxError(t.line, t.col, `syntax error (unterminated block started at ${head.line}:${head.col})`);
      k++;
      if (t.kind === 'eol' || t.kind === 'eolComment') continue;
      if (t.kind === 'comment') { before.push(t.text); continue; }
      if (t.kind === ')') {
        before = [];
        if (!isEOL(peek())) throw new GoModSyntaxError(t.line, t.col, 'syntax error (expected newline after closing paren)');
        k++;
        return;
      }
      lines.push(readLine(t, head, true));
    }
  };
  for (;;) {
    const t = peek();
    if (t.kind === 'eof') break;
    k++;
    if (t.kind === 'eol') { before = []; continue; }
    if (t.kind === 'comment') { before.push(t.text); continue; }
    const s = readLine(t, undefined, false);
    const lines = blocks.get(s);
    if (lines) {
      // A block: its lines become statements whose verb is the block's.
      if (s.tokens.length === 1 && BLOCK_VERBS.has(s.tokens[0] ?? '')) {
        for (const l of lines) stmts.push({ ...l, tokens: [s.tokens[0] ?? '', ...l.tokens] });
        if (lines.length === 0) stmts.push({ ...s, tokens: [s.tokens[0] ?? '', '(', ')'] });
      } else {
        stmts.push({ ...s, tokens: [...s.tokens, '('] }); // reported as an unknown block type
      }
    } else {
      stmts.push(s);
    }
  }
  return stmts;
}

function unquote(tok: string): string {
  if (tok.startsWith('"')) {
    const s = goUnquote(tok);
    if (s === undefined) throw new StmtError('UPSTREAM_BAD_RESPONSE', 'invalid quoted string: invalid syntax');
    return s;
  }
  if (/["'`]/.test(tok)) throw new StmtError('UPSTREAM_BAD_RESPONSE', 'invalid quoted string: unquoted string cannot contain quote');
  return tok;
}

function parseVersion(verb: string, path: string, tok: string): string {
  const prefix = path === '' ? `${verb}: ` : `${verb} ${path}: `;
  let t: string;
  try {
    t = unquote(tok);
  } catch (err) {
    throw new StmtError('INVALID_VERSION', `${prefix}version ${goQuote(tok)} invalid: ${(err as Error).message.replace('invalid quoted string: ', '')}`);
  }
  const cv = canonicalVersion(t);
  if (cv === '') throw new StmtError('INVALID_VERSION', `${prefix}version ${goQuote(t)} invalid: must be of the form v1.2.3`);
  return cv;
}

function pathMajorOf(path: string): string {
  const split = splitPathVersion(path);
  if (!split) throw new StmtError('INVALID_PATH', 'invalid module path');
  return split.pathMajor;
}

function checkMajor(verb: string, path: string, v: string, pathMajor: string): void {
  const reason = pathMajorError(v, pathMajor);
  if (reason !== undefined) throw new StmtError('INVALID_VERSION', `${verb} ${path}: version ${goQuote(v)} invalid: ${reason}`);
}

/** True for a replacement that names a directory (rooted, ./ or ../, or a Windows path). */
export function isDirectoryPath(p: string): boolean {
  return /^(\.\.?[/\\]|[/\\]|[A-Za-z]:)/.test(p);
}

function comment(text: string): string {
  return text.replace(/^\/\//, '').replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, '');
}

function rationale(s: Stmt): string {
  const own = [...s.before, ...(s.suffix === undefined ? [] : [s.suffix])];
  const src = own.length > 0 || !s.block ? own : [...s.block.before, ...(s.block.suffix === undefined ? [] : [s.block.suffix])];
  return src.map(comment).join('\n');
}

function parseRetract(args: readonly string[]): [low: string, high: string] {
  if (args[0] === undefined || args[0] === '(') throw new StmtError('INVALID_VERSION', "expected '[' or version");
  if (args[0] !== '[') {
    const v = parseVersion('retract', '', args[0]);
    if (args.length > 1) throw new StmtError('UPSTREAM_BAD_RESPONSE', `unexpected token after version: ${goQuote(args[1] ?? '')}`);
    return [v, v];
  }
  const expect = (i: number, what: string, tok?: string): string => {
    const t = args[i];
    if (t === undefined || (tok !== undefined && t !== tok)) throw new StmtError('INVALID_VERSION', what);
    return t;
  };
  const low = parseVersion('retract', '', expect(1, "expected version after '['"));
  expect(2, "expected ',' after version", ',');
  const high = parseVersion('retract', '', expect(3, "expected version after ','"));
  expect(4, "expected ']' after version", ']');
  if (args.length > 5) throw new StmtError('UPSTREAM_BAD_RESPONSE', `unexpected token after version: ${goQuote(args[5] ?? '')}`);
  return [low, high];
}

/**
 * Parses go.mod text into a GoModFile. Versions are canonicalized ("v1.2" → "v1.2.0"); a
 * version whose major does not fit its path is an error. Throws one ModgateError listing every
 * error as `go.mod:LINE[:COL]: message`, coded INVALID_VERSION or INVALID_PATH when the first
 * error is about a version or path, UPSTREAM_BAD_RESPONSE otherwise.
 */
export function parseGoMod(text: string, options: ParseGoModOptions = {}): GoModFile {
  const fileName = options.fileName ?? 'go.mod';
  const strict = options.strict ?? false;
  const where = (line: number, col: number): string => (col > 1 ? `${fileName}:${line}:${col}: ` : `${fileName}:${line}: `);
  let stmts: Stmt[];
  try {
    stmts = splitStatements(tokenize(text));
  } catch (err) {
    if (!(err instanceof GoModSyntaxError)) throw err;
    throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${fileName}:${err.line}:${err.col}: ${err.message}`);
  }
  let module: GoModFile['module'];
  let go: string | undefined;
  let toolchain: string | undefined;
  const require: GoModRequire[] = [];
  const exclude: GoModExclude[] = [];
  const replace: GoModReplace[] = [];
  const retract: GoModRetract[] = [];
  const errors: StmtError[] = [];
  for (const s of stmts) {
    const [verb = '', ...args] = s.tokens;
    const fail = (code: ErrorCode, message: string): never => { throw new StmtError(code, message); };
    const bad = 'UPSTREAM_BAD_RESPONSE';
    try {
      if (args[0] === '(' && args.length > 1 && args.at(-1) === '(') fail(bad, `unknown block type: ${[verb, ...args.slice(0, -1)].join(' ')}`);
      if (args.length === 2 && args[0] === '(' && args[1] === ')') continue; // empty block
      switch (verb) {
        case 'go': {
          if (go !== undefined) fail(bad, 'repeated go statement');
          if (args.length !== 1) fail(bad, 'go directive expects exactly one argument');
          let v = args[0] ?? '';
          if (!GO_VERSION_RE.test(v)) {
            const m = strict ? null : LAX_GO_VERSION_RE.exec(v);
            if (!m) fail('INVALID_VERSION', `invalid go version '${v}': must match format 1.23`);
            v = m?.[1] ?? v;
          }
          go = v;
          break;
        }
        case 'toolchain':
          if (args.length !== 1) fail(bad, 'toolchain directive expects exactly one argument');
          toolchain = args[0];
          break;
        case 'module': {
          if (module !== undefined) fail(bad, 'repeated module statement');
          const deprecated = /(?:^|\n\n)Deprecated: *([\s\S]*?)(?:$|\n\n)/.exec(rationale(s))?.[1] ?? '';
          if (args.length !== 1) fail(bad, 'usage: module module/path');
          module = { path: unquote(args[0] ?? ''), deprecated };
          break;
        }
        case 'require':
        case 'exclude': {
          if (args.length !== 2) fail(bad, `usage: ${verb} module/path v1.2.3`);
          const path = unquote(args[0] ?? '');
          const version = parseVersion(verb, path, args[1] ?? '');
          checkMajor(verb, path, version, pathMajorOf(path));
          if (verb === 'exclude') exclude.push({ path, version, line: s.line });
          else {
            const f = (s.suffix === undefined ? '' : comment(s.suffix)).split(GO_SPACE).filter(Boolean);
            const indirect = (f.length === 1 && f[0] === 'indirect') || (f.length > 1 && f[0] === 'indirect;');
            require.push({ path, version, indirect, line: s.line });
          }
          break;
        }
        case 'replace': {
          const arrow = args[1] === '=>' ? 1 : 2;
          if (args.length < arrow + 2 || args.length > arrow + 3 || args[arrow] !== '=>') {
            fail(bad, `usage: replace module/path [v1.2.3] => other/module v1.4\n\t or replace module/path [v1.2.3] => ../local/directory`);
          }
          const oldPath = unquote(args[0] ?? '');
          const pathMajor = pathMajorOf(oldPath);
          const oldVersion = arrow === 2 ? parseVersion(verb, oldPath, args[1] ?? '') : '';
          if (arrow === 2) checkMajor(verb, oldPath, oldVersion, pathMajor);
          const newPath = unquote(args[arrow + 1] ?? '');
          const isLocal = isDirectoryPath(newPath);
          let newVersion = '';
          if (args.length === arrow + 2) {
            if (!isLocal) {
              fail(bad, newPath.includes('@')
                ? "replacement module must match format 'path version', not 'path@version'"
                : 'replacement module without version must be directory path (rooted or starting with ./ or ../)');
            }
          } else {
            newVersion = parseVersion(verb, newPath, args[arrow + 2] ?? '');
            if (isLocal) fail(bad, `replacement module directory path ${goQuote(newPath)} cannot have version`);
          }
          replace.push({ old: { path: oldPath, version: oldVersion }, new: { path: newPath, version: newVersion }, isLocal, line: s.line });
          break;
        }
        case 'retract': {
          try {
            const [low, high] = parseRetract(args);
            retract.push({ low, high, rationale: rationale(s), line: s.line });
          } catch (err) {
            if (strict) throw err;
          }
          break;
        }
        default:
          if (strict && !OTHER_VERBS.has(verb)) fail(bad, `unknown directive: ${verb}`);
      }
    } catch (err) {
      if (!(err instanceof StmtError)) throw err;
      if (!strict && (verb === 'exclude' || verb === 'replace')) continue; // ignored, as dependencies' are
      errors.push(new StmtError(err.code, where(s.line, s.col) + err.message));
    }
  }
  const first = errors[0];
  if (first) throw new ModgateError(first.code, errors.map((e) => e.message).join('\n'));
  return { module, go, toolchain, require, exclude, replace, retract };
}

/**
 * The module path declared in go.mod text, read the go command's fast way (modfile.ModulePath):
 * the first line starting with "module" and a space, comments removed, quotes undone.
 * '' if there is none or its quoted path is malformed.
 */
export function modulePathFromGoMod(text: string): string {
  for (const raw of text.split('\n')) {
    const i = raw.indexOf('//');
    const line = (i >= 0 ? raw.slice(0, i) : raw).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, '');
    if (!line.startsWith('module')) continue;
    const after = line.slice('module'.length);
    const rest = after.replace(/^[\s\u0085\u00a0]+/u, '');
    if (rest.length === after.length || rest === '') continue;
    if (rest.startsWith('"') || rest.startsWith('`')) return goUnquote(rest) ?? '';
    return rest;
  }
  return '';
}
