// `modgate token new | hash`: make a client token and the `sha256:` hash the identity file stores
// (docs/access-control.md). `hash` reads the token from stdin so it stays out of shell history.
import type { Command } from 'commander';
import { ModgateError } from '../errors/modgate-error.js';
import { hashToken, newToken } from '../auth/token-hash.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('client tokens for the identity file');
  token.command('new').description('print a new random token and its hash (give the token to the client, the hash to the identity file)').action(() => {
    const t = newToken();
    process.stdout.write(`token: ${t}\nhash:  ${hashToken(t)}\n`);
  });
  token.command('hash').description('print the hash of the token read from stdin').action(async () => {
    const t = await readStdin();
    if (t === '') throw new ModgateError('INVALID_REQUEST', 'no token on stdin', { hint: 'e.g. printf %s "$TOKEN" | modgate token hash' });
    process.stdout.write(`${hashToken(t)}\n`);
  });
}
