// Turns git's stderr into modgate errors: a missing repository or revision is NOT_FOUND (so the
// upstream chain may fall through), refused credentials and every other failure are VCS_ERROR naming
// the host. Messages are plain text for the go command's user and never contain credentials.
import { ModgateError } from '../errors/modgate-error.js';
import { gitFailure } from './git-command.js';

/** The host of a repository URL ("github.com"), or the URL itself when it has none. */
export function urlHost(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

const NOT_FOUND = [/repository '.*' not found/i, /does not appear to be a git repository/i, /Repository not found/i, /\b404\b/, /not found/i];
const AUTH = [/could not read Username/i, /could not read Password/i, /Authentication failed/i, /terminal prompts disabled/i, /\b401\b/, /\b403\b/, /Permission denied/i];

/** Classifies a failed ls-remote/fetch of url by its stderr. */
export function classifyGitFailure(url: string, stderr: string, hasCredentials?: boolean): ModgateError {
  const host = urlHost(url);
  if (AUTH.some((re) => re.test(stderr))) {
    const message =
      hasCredentials === false
        ? `${host}: authentication required for ${url} and no credentials are configured for ${host}`
        : `${host}: credentials were refused (or are missing) for ${url}`;
    return new ModgateError('VCS_ERROR', message, {
      hint: `Check the direct-mode credentials configured for host ${host}.`,
      details: { host, auth: true },
    });
  }
  if (NOT_FOUND.some((re) => re.test(stderr))) {
    return new ModgateError('NOT_FOUND', `repository ${url} not found`, { details: { host } });
  }
  const e = gitFailure(`${host}: git ${url}`, stderr);
  return new ModgateError('VCS_ERROR', e.message, { details: { host } });
}
