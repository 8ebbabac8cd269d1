// The circuit breaker with a scripted upstream and an injected clock: opens after N consecutive
// failures, skips at once while open, lets one probe through after the cool-down, closes on success.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ModgateError } from '../errors/modgate-error.js';
import { withCircuitBreaker, type CircuitState } from './circuit-breaker.js';
import type { Upstream } from './upstream.js';

function scripted(): { u: Upstream; calls: string[]; fail: (e: ModgateError | undefined) => void; zipBody: (b: () => Readable) => void } {
  let failure: ModgateError | undefined;
  let body = () => Readable.from([Buffer.from('zip')]);
  const calls: string[] = [];
  const answer = async (what: string): Promise<Buffer> => {
    calls.push(what);
    if (failure) throw failure;
    return Buffer.from(what);
  };
  return {
    calls,
    fail: (e) => void (failure = e),
    zipBody: (b) => void (body = b),
    u: {
      name: 'http://up',
      list: (p) => answer(`list ${p}`),
      latest: (p) => answer(`latest ${p}`),
      info: (p, v) => answer(`info ${p}@${v}`),
      mod: (p, v) => answer(`mod ${p}@${v}`),
      zip: async (p, v) => {
        await answer(`zip ${p}@${v}`);
        return body();
      },
    },
  };
}

const down = new ModgateError('UPSTREAM_TIMEOUT', 'http://up/x: no answer within 10 ms');

test('opens after N consecutive failures, skips without calling, probes after the cool-down', async () => {
  let t = 1000;
  const states: CircuitState[] = [];
  const skips: string[] = [];
  const s = scripted();
  const b = withCircuitBreaker(s.u, { failures: 2, coolDownMs: 5000, now: () => t, onState: (_n, st) => states.push(st), onSkip: (_n, kind) => skips.push(kind) });
  s.fail(down);
  await assert.rejects(b.info('m', 'v1.0.0'), /no answer/);
  assert.equal(b.circuit().state, 'closed');
  await assert.rejects(b.mod('m', 'v1.0.0'), /no answer/);
  assert.equal(b.circuit().state, 'open');
  const before = s.calls.length;
  await assert.rejects(b.zip('m', 'v1.0.0'), (e: ModgateError) => e.code === 'UPSTREAM_ERROR' && /circuit open after 2 consecutive failures \(next probe in 5 s/.test(e.message));
  assert.equal(s.calls.length, before, 'an open circuit does not call the upstream');
  assert.deepEqual(skips, ['zip']);

  t += 5000;
  assert.equal(b.circuit().state, 'half_open');
  s.fail(undefined);
  // One probe at a time: a second call while the probe runs is skipped.
  const probe = b.list('m');
  await assert.rejects(b.list('m'), /circuit open/);
  assert.equal((await probe).toString(), 'list m');
  assert.equal(b.circuit().state, 'closed');
  assert.deepEqual(states, ['open', 'half_open', 'closed']);
});

test('a failed probe opens the circuit again; not-found and aborted calls are not failures', async () => {
  let t = 0;
  const s = scripted();
  const b = withCircuitBreaker(s.u, { failures: 1, coolDownMs: 100, now: () => t });
  s.fail(new ModgateError('NOT_FOUND', 'http://up: 404'));
  for (let i = 0; i < 3; i++) await assert.rejects(b.info('m', 'v1.0.0'), /404/);
  assert.equal(b.circuit().state, 'closed');
  const aborted = AbortSignal.abort();
  s.fail(new ModgateError('UPSTREAM_ERROR', 'http://up: abandoned'));
  await assert.rejects(b.info('m', 'v1.0.0', aborted));
  assert.equal(b.circuit().state, 'closed');
  await assert.rejects(b.info('m', 'v1.0.0'));
  assert.equal(b.circuit().state, 'open');
  t += 100;
  await assert.rejects(b.info('m', 'v1.0.0'), /abandoned/);
  assert.equal(b.circuit().state, 'open');
  await assert.rejects(b.mod('m', 'v1.0.0'), /circuit open/);
});

test('a zip is judged by its body: one that fails mid-stream counts as a failure', async () => {
  const s = scripted();
  const b = withCircuitBreaker(s.u, { failures: 1, coolDownMs: 60_000 });
  s.zipBody(() => new Readable({ read() { this.destroy(new ModgateError('UPSTREAM_TIMEOUT', 'http://up: transfer too slow')); } }));
  const body = await b.zip('m', 'v1.0.0');
  assert.equal(b.circuit().state, 'closed', 'headers alone prove nothing');
  await assert.rejects(async () => { for await (const _ of body) void _; }, /too slow/);
  assert.equal(b.circuit().state, 'open');
});

test('failures 0 turns the breaker off', async () => {
  const s = scripted();
  const b = withCircuitBreaker(s.u, { failures: 0, coolDownMs: 1000 });
  s.fail(down);
  for (let i = 0; i < 5; i++) await assert.rejects(b.info('m', 'v1.0.0'), /no answer/);
  assert.equal(s.calls.length, 5);
});
