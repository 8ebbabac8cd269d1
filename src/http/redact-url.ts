// URLs as they may be logged, recorded in events or shown in statistics: without the query string,
// which may carry a credential (`?token=...`).

/** The URL with its query string replaced by a marker. */
export function withoutQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?(query redacted)`;
}
