// The upstream chain's fallback rules (`,` vs `|`, refusals, off) and hedging, with in-process fakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ModgateError } from '../errors/modgate-error.js';
import { createUpstreamChain, type ChainEntry } from './upstream-chain.js';
import type { Upstream } from './upstream.js';

type Behaviour = 'ok' | '404' | '410' | '500' | 'refused' | { delayMs: number };

function fake(name: string, behaviour: Behaviour, log: string[]): Upstream {
  const answer = async (signal?: AbortSignal): Promise<Buffer> => {
    log.push(name);
    if (typeof behaviour === 'object') {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, behaviour.delayMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          log.push(`${name}:aborted`);
          reject(new Error('aborted'));
        });
      });
      return Buffer.from(name);
    }
    if (behaviour === 'ok') return Buffer.from(name);
    if (behaviour === '404') throw new ModgateError('NOT_FOUND', `${name}: 404 Not Found`);
    if (behaviour === '410') throw new ModgateError('GONE', `${name}: 410 Gone`);
    if (behaviour === 'refused') throw new ModgateError('CHECKSUM_MISMATCH', `${name}: checksum mismatch`);
    throw new ModgateError('UPSTREAM_ERROR', `${name}: unexpected status 500`);
  };
  return { name, list: (_p, s) => answer(s), latest: (_p, s) => answer(s), info: (_p, _v, s) => answer(s), mod: (_p, _v, s) => answer(s), zip: async () => Readable.from([]) };
}

function chainOf(spec: string, behaviours: Record<string, Behaviour>, log: string[], hedgeAfterMs = 0) {
  // spec like "a,b|c,off": names separated by , or |
  const entries: ChainEntry[] = [];
  const re = /([a-z]+)([,|]?)/g;
  for (const m of spec.matchAll(re)) {
    entries.push(m[1] === 'off' ? { upstream: 'off', fallBackOnError: false } : { upstream: fake(m[1]!, behaviours[m[1]!] ?? 'ok', log), fallBackOnError: m[2] === '|' });
  }
  return createUpstreamChain(entries, { hedgeAfterMs });
}

test('fallback follows the go command: `,` only after not-found or a refusal, `|` after any error', async () => {
  const cases: Array<{ spec: string; b: Record<string, Behaviour>; want: string | RegExp; tried: string[] }> = [
    { spec: 'a,b', b: { a: '404' }, want: 'b', tried: ['a', 'b'] },
    { spec: 'a,b', b: { a: '410' }, want: 'b', tried: ['a', 'b'] },
    { spec: 'a,b', b: { a: '500' }, want: /a: unexpected status 500/, tried: ['a'] },
    { spec: 'a|b', b: { a: '500' }, want: 'b', tried: ['a', 'b'] },
    { spec: 'a,b', b: { a: 'refused' }, want: 'b', tried: ['a', 'b'] },
    { spec: 'a,b', b: { a: 'refused', b: '404' }, want: /checksum mismatch/, tried: ['a', 'b'] },
    { spec: 'a,b', b: { a: '404', b: '404' }, want: /not found: x/, tried: ['a', 'b'] },
    { spec: 'a,off,b', b: { a: '404' }, want: /not found: x/, tried: ['a'] },
    { spec: 'off,b', b: {}, want: /module lookup disabled/, tried: [] },
    { spec: 'a|b,c', b: { a: '500', b: '500' }, want: /b: unexpected status 500/, tried: ['a', 'b'] },
  ];
  for (const c of cases) {
    const log: string[] = [];
    const chain = chainOf(c.spec, c.b, log);
    const run = chain.run('x', (u, s) => u.list('x', s));
    if (typeof c.want === 'string') assert.equal((await run).source, c.want, c.spec);
    else await assert.rejects(run, c.want, c.spec);
    assert.deepEqual(log, c.tried, c.spec);
  }
});

test('hedging: a slow `|` upstream is raced by the next one; the loser is aborted', async () => {
  const log: string[] = [];
  const chain = chainOf('a|b', { a: { delayMs: 5_000 }, b: 'ok' }, log, 20);
  const r = await chain.run('x', (u, s) => u.list('x', s));
  assert.equal(r.source, 'b');
  assert.deepEqual(log, ['a', 'b', 'a:aborted']);
});

test('hedging: a fast first answer starts no hedge; `,` entries are never hedged', async () => {
  const log: string[] = [];
  assert.equal((await chainOf('a|b', { a: 'ok' }, log, 20).run('x', (u, s) => u.list('x', s))).source, 'a');
  assert.deepEqual(log, ['a']);
  const log2: string[] = [];
  assert.equal((await chainOf('a,b', { a: { delayMs: 60 } }, log2, 20).run('x', (u, s) => u.list('x', s))).source, 'a');
  assert.deepEqual(log2, ['a']);
});

test('hedging: both failing reports the right error and continues after `|`', async () => {
  const log: string[] = [];
  const chain = chainOf('a|b|c', { a: { delayMs: 50 }, b: '500', c: 'ok' }, log, 10);
  // a is slow but eventually answers; b failed fast; a wins before c is needed.
  assert.equal((await chain.run('x', (u, s) => u.list('x', s))).source, 'a');
  const log2: string[] = [];
  const chain2 = chainOf('a|b|c', { a: '404', b: '500', c: 'ok' }, log2, 10);
  assert.equal((await chain2.run('x', (u, s) => u.list('x', s))).source, 'c');
});
