// go-import meta tags (`<meta name="go-import" content="prefix vcs repo-url">`) as the go command
// reads them from a `?go-get=1` page: only the head is read, `mod` entries win over VCS entries for
// the same prefix, exactly one entry may match a path, and repo URLs need a non-file scheme.

export interface MetaImport {
  readonly prefix: string;
  readonly vcs: string;
  readonly repoRoot: string;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_m, e: string) => {
    const k = e.toLowerCase();
    if (k.startsWith('#x')) return String.fromCodePoint(parseInt(k.slice(2), 16));
    if (k.startsWith('#')) return String.fromCodePoint(parseInt(k.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[k] ?? '';
  });
}

function parseAttrs(s: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!attrs.has(name)) attrs.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return attrs;
}

/**
 * The go-import entries of an HTML page, read up to `<body>` or `</head>`. `mod` entries come first
 * and hide VCS entries with the same prefix (module mode).
 */
export function parseMetaGoImports(html: string): MetaImport[] {
  const imports: MetaImport[] = [];
  const re = /<!--[\s\S]*?-->|<\s*(\/?)\s*([A-Za-z][A-Za-z0-9:-]*)([^>]*)>/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m[2] === undefined) continue; // comment
    const closing = m[1] === '/';
    const tag = m[2].toLowerCase().replace(/^.*:/, '');
    if (!closing && tag === 'body') break;
    if (closing && tag === 'head') break;
    if (closing || tag !== 'meta') continue;
    const attrs = parseAttrs(m[3] ?? '');
    if (attrs.get('name') !== 'go-import') continue;
    const f = (attrs.get('content') ?? '').split(/\s+/).filter((x) => x !== '');
    if (f.length === 3) imports.push({ prefix: f[0]!, vcs: f[1]!, repoRoot: f[2]! });
  }
  const mods = imports.filter((i) => i.vcs === 'mod');
  const have = new Set(mods.map((i) => i.prefix));
  return [...mods, ...imports.filter((i) => i.vcs !== 'mod' && !have.has(i.prefix))];
}

/** Go's str.HasPathPrefix. */
export function hasPathPrefix(s: string, prefix: string): boolean {
  if (s.length === prefix.length) return s === prefix;
  if (prefix === '') return true;
  if (s.length > prefix.length) {
    if (prefix.endsWith('/')) return s.startsWith(prefix);
    return s[prefix.length] === '/' && s.startsWith(prefix);
  }
  return false;
}

/** The one entry whose prefix is a path prefix of importPath; throws a message string otherwise. */
export function matchGoImport(imports: readonly MetaImport[], importPath: string): MetaImport {
  let match: MetaImport | undefined;
  const mismatches: string[] = [];
  for (const im of imports) {
    if (!hasPathPrefix(importPath, im.prefix)) {
      mismatches.push(im.prefix);
      continue;
    }
    if (match) {
      if (match.vcs === 'mod' && im.vcs !== 'mod') break;
      throw new Error(`multiple meta tags match import path "${importPath}"`);
    }
    match = im;
  }
  if (!match) {
    throw new Error(mismatches.length === 0 ? `no go-import meta tags for ${importPath}` : `meta tags do not match import path ${importPath} (found prefixes ${mismatches.join(', ')})`);
  }
  return match;
}

/** Why a go-import repo URL is unacceptable, or undefined when it is fine. */
export function repoRootError(repoRoot: string): string | undefined {
  let url: URL;
  try {
    url = new URL(repoRoot);
  } catch {
    return 'no scheme';
  }
  if (url.protocol === 'file:') return 'file scheme disallowed';
  return undefined;
}
