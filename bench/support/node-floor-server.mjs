// The floor for any Node.js server in hit-throughput: plain node:http answering GOPROXY paths from
// files preloaded into memory (no framework, no validation, no logging). Usage (bench/hit-throughput.ts
// spawns it): node node-floor-server.mjs ROOT — prints the port on stdout, serves 127.0.0.1 only.
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = process.argv[2];
const files = new Map();
for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
  if (e.isFile() && (/\.(info|mod|zip)$/.test(e.name) || e.name === 'list')) {
    const p = join(e.parentPath, e.name);
    files.set(`/${relative(root, p).split(sep).join('/')}`, readFileSync(p));
  }
}
const server = createServer((req, res) => {
  const body = files.get(req.url ?? '');
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': req.url.endsWith('.zip') ? 'application/zip' : 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.stdin.on('end', () => process.exit(0)).resume();
