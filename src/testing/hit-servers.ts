// Test support for the hit path's tests (src/testing: not in dist/): modgate servers over one cache
// that differ only in how hits are answered (the raw front, the node:http fast path, or fastify
// alone), each with its flow lines, metrics and events captured, and raw-socket clients that return
// the exact bytes of the answers (Date values blanked).
import { connect, type AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../observe/logger.js';
import { createProxyServer, type ReadinessCheck } from '../http/proxy-server.js';
import { createAccessPolicy } from '../http/access-policy.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { createEventLog, type EventLog } from '../observe/event-log.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createMetrics, type Metrics } from '../observe/metrics.js';
import { addVersion, cacheOver } from './proxy-fixture.js';

export interface Side {
  app: FastifyInstance;
  port: number;
  lines: Array<Record<string, unknown>>;
  metrics: Metrics;
  events: EventLog;
  /** Answers of the fast path (raw front or node:http handler). */
  fastAnswers: number;
  /** Answers the raw front wrote itself. */
  frontAnswers: number;
  /** Requests node:http read (the raw front's answers are not among them). */
  httpRequests: number;
}

/** How a side answers hits: the raw front (default server), the node:http fast path only, or fastify only. */
export type HitMode = 'raw' | 'node' | 'general';

export const TOKEN = 's3cret';
export const AUTH = `authorization: Bearer ${TOKEN}`;
export type HitCache = ReturnType<typeof cacheOver>['cache'];

/** The fixture: small files of three modules (one denied), a list, @latest, a query, a zip. */
export async function hitFixture(): Promise<{ dir: string; upstream: string; cache: HitCache }> {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-fast-'));
  const up = join(dir, 'upstream');
  await addVersion(up, 'example.com/hello', 'v1.0.0', { 'go.mod': 'module example.com/hello\n\ngo 1.20\n', 'hello.go': 'package hello\n' });
  await addVersion(up, 'github.com/Azure/go-x', 'v0.1.0-RC1', { 'x.go': 'package x\n' });
  await addVersion(up, 'example.com/denied', 'v1.0.0', { 'd.go': 'package d\n' });
  await writeFile(join(up, 'example.com/hello/@v/list'), 'v1.0.0\n');
  await writeFile(join(up, 'example.com/hello/@latest'), JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-02T03:04:05Z' }));
  await writeFile(join(up, 'example.com/hello/@v/main.info'), JSON.stringify({ Version: 'v1.0.1-0.20240102030405-abcdefabcdef', Time: '2024-01-02T03:04:05Z' }));
  return { dir, upstream: up, cache: cacheOver(up, join(dir, 'cache')).cache };
}

export const SMALL = [
  '/example.com/hello/@v/list',
  '/example.com/hello/@v/v1.0.0.info',
  '/example.com/hello/@v/v1.0.0.mod',
  '/example.com/hello/@latest',
  '/example.com/hello/@v/main.info',
  '/github.com/!azure/go-x/@v/v0.1.0-!r!c1.info',
  '/github.com/%21azure/go-x/@v/v0.1.0-%21r%21c1.mod?x=1',
];
export const ZIP = '/example.com/hello/@v/v1.0.0.zip';

/** A server over `cache`: client tokens required (TOKEN) unless `tokens` is false; example.com/denied refused. */
export async function side(cache: HitCache, mode: HitMode, readiness: ReadinessCheck[] = [], tokens = true): Promise<Side> {
  const out = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  let pending = '';
  out.on('data', (c: Buffer) => {
    pending += c.toString();
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(pending.slice(0, nl)) as Record<string, unknown>);
      pending = pending.slice(nl + 1);
    }
  });
  const events = createEventLog(createMemoryStorage());
  const metrics = createMetrics({ processMetrics: false });
  const s: Partial<Side> = { lines, metrics, events, fastAnswers: 0, frontAnswers: 0, httpRequests: 0 };
  const app = await createProxyServer({
    cache,
    logger: createLogger({ level: 'info', format: 'json', destination: out }),
    pathPrefix: '',
    shortMaxAge: 60,
    negativeMaxAge: 60,
    readiness,
    metrics,
    access: createAccessPolicy({ auth: await createAuthenticator({ clientTokens: tokens ? [TOKEN] : [], adminTokens: [], identitiesFile: '' }), events, allow: '', deny: 'example.com/denied', metricsToken: '' }),
    fastPath: mode !== 'general',
    rawFront: mode === 'raw',
    onFastAnswer: () => s.fastAnswers!++,
    onFrontAnswer: () => s.frontAnswers!++,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  app.server.on('request', () => s.httpRequests!++);
  return Object.assign(s, { app, port: (app.server.address() as AddressInfo).port }) as Side;
}

/** Every Date header's value blanked (the one header allowed to differ between two answers). */
export const undated = (bytes: string): string => bytes.replace(/\r\ndate: [^\r]*/gi, '\r\ndate: -');

/** The bytes a server sends back for `chunks` written one after another on one connection, until it closes the connection. */
export function exchange(port: number, chunks: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    sock.on('data', (c) => got.push(c));
    sock.on('error', reject);
    // (A server that never closes the connection fails the exchange instead of the whole test file.)
    const timer = setTimeout(() => {
      reject(new Error(`no end of the connection after 20 s; received ${JSON.stringify(Buffer.concat(got).toString('latin1').slice(0, 300))}`));
      sock.destroy();
    }, 20_000);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(undated(Buffer.concat(got).toString('latin1')));
    });
    const next = (i: number): void => {
      if (i < chunks.length) sock.write(chunks[i]!, 'latin1', () => setImmediate(next, i + 1));
    };
    next(0);
  });
}

/** A request's bytes: HTTP/1.1 with a Host header, then `headers`. */
export const request = (method: string, url: string, headers: readonly string[] = []): string => `${method} ${url} HTTP/1.1\r\nhost: x\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;

/** The raw bytes of one answer (HTTP/1.1, Connection: close), with the Date header's value blanked. */
export function raw(port: number, method: string, url: string, headers: readonly string[]): Promise<string> {
  return exchange(port, [request(method, url, [...headers, 'connection: close'])]);
}

export const headerOf = (answer: string, name: string): string => new RegExp(`\\r\\n${name}: ([^\\r]*)`, 'i').exec(answer)?.[1] ?? '';
