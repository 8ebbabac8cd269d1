// Server paths kept out of what clients read: an error body must not show where the cache, its
// temp files or the git mirrors live (an operating-system error quotes the file it failed on; a
// staged zip has a temp path). The log line keeps the full message. A `file://` upstream's URL is
// its name and stays as it is.

/** Replaces each of `dirs` (and whatever path follows it) in `text` with "[server path]". */
export type PathRedactor = (text: string) => string;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A redactor for the given absolute directories (empty or relative ones are ignored). A match is a
 * directory at a path boundary, not inside a file:// URL, up to the next space or quote.
 */
export function createPathRedactor(dirs: readonly string[]): PathRedactor {
  const roots = [...new Set(dirs.map((d) => d.replace(/\/+$/, '')).filter((d) => d.startsWith('/') && d.length > 1))].sort((a, b) => b.length - a.length);
  if (roots.length === 0) return (text) => text;
  const re = new RegExp(`(?<!file://)(?<![\\w.-])(?:${roots.map(escapeRegExp).join('|')})(?=$|[/\\s'"\`),:;])[^\\s'"\`),;]*`, 'g');
  return (text) => text.replace(re, '[server path]');
}
