// nginx as the static-file baseline: one process (master_process off = exactly one worker) or N,
// sendfile on, access log off, listening on 127.0.0.1 only, with a generated config and every
// path nginx writes (pid, temp dirs, error log) inside a temp dir. Needs the Debian `nginx` package.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { BenchScope } from './bench-scope.js';
import { freePort, waitForHttp } from './net-util.js';
import { processTree } from './rss-sampler.js';

export interface NginxServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Serves root as static files on a free loopback port until the scope ends (or stop()). workers = 1
 * runs one process (master_process off); more runs a master with that many worker processes.
 */
export async function startNginx(scope: BenchScope, root: string, workers = 1): Promise<NginxServer> {
  const dir = await scope.tempDir('modgate-bench-nginx-');
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, d));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `daemon off;
master_process ${workers === 1 ? 'off' : 'on'};
${workers > 1 ? `user ${userInfo().username};` : ''}
worker_processes ${workers};
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  types { application/json info; application/zip zip; text/plain mod; }
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  scope.trackPid(child.pid);
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  scope.defer(stop);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/`, 10_000, () => (child.exitCode !== null ? `nginx exited: ${stderr}` : undefined));
  for (const pid of processTree(child.pid!)) scope.trackPid(pid);
  return { url, pid: child.pid!, stop };
}
