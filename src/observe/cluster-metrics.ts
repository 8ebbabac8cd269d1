// Metrics across `--workers`: a worker answering /metrics asks the primary, which asks every ready
// worker for its registry (as JSON), sums them with prom-client's aggregator and answers. Without
// an answer in time a worker serves its own metrics, marked as partial.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';

type Message =
  | { readonly type: 'modgate-metrics-request'; readonly id: string }
  | { readonly type: 'modgate-metrics-response'; readonly id: string; readonly text?: string; readonly error?: string }
  | { readonly type: 'modgate-metrics-collect'; readonly id: string }
  | { readonly type: 'modgate-metrics-collected'; readonly id: string; readonly json?: object[]; readonly error?: string };

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null && String((m as { type?: unknown }).type).startsWith('modgate-metrics-');
const newId = (): string => randomBytes(6).toString('hex');

/**
 * In the primary: answers workers' requests for cluster-wide metrics, asking the workers in
 * `ready()` (those that finished starting) within `timeoutMs`.
 */
export function serveClusterMetrics(ready: () => Worker[], timeoutMs = 4000): void {
  const pending = new Map<string, { left: number; json: object[]; done: () => void }>();
  cluster.on('message', (worker: Worker, m: unknown) => {
    if (!isMessage(m)) return;
    if (m.type === 'modgate-metrics-collected') {
      const p = pending.get(m.id);
      if (!p) return;
      if (m.json) p.json.push(...m.json);
      if (--p.left === 0) p.done();
      return;
    }
    if (m.type !== 'modgate-metrics-request') return;
    const workers = ready();
    const collectId = newId();
    const json: object[] = [];
    const answer = () => {
      pending.delete(collectId);
      clearTimeout(timer);
      AggregatorRegistry.aggregate(json)
        .metrics()
        .then(
          (text) => worker.send({ type: 'modgate-metrics-response', id: m.id, text } satisfies Message),
          (err: unknown) => worker.send({ type: 'modgate-metrics-response', id: m.id, error: String(err) } satisfies Message),
        );
    };
    const timer = setTimeout(answer, timeoutMs);
    pending.set(collectId, { left: workers.length, json, done: answer });
    for (const w of workers) w.send({ type: 'modgate-metrics-collect', id: collectId } satisfies Message);
    if (workers.length === 0) answer();
  });
}

/** In a worker: answers the primary's collection requests; returns the /metrics text source. */
export function workerMetricsText(registry: Registry, timeoutMs = 5000): () => Promise<string> {
  process.on('message', (m: unknown) => {
    if (!isMessage(m) || m.type !== 'modgate-metrics-collect') return;
    registry.getMetricsAsJSON().then(
      (json) => process.send?.({ type: 'modgate-metrics-collected', id: m.id, json: [json] } satisfies Message),
      (err: unknown) => process.send?.({ type: 'modgate-metrics-collected', id: m.id, error: String(err) } satisfies Message),
    );
  });
  return () =>
    new Promise<string>((resolve) => {
      const id = newId();
      const own = async (why: string) => resolve(`# modgate: metrics of worker ${process.pid} only (${why})\n${await registry.metrics()}`);
      const timer = setTimeout(() => {
        process.off('message', onMessage);
        void own('no answer from the primary');
      }, timeoutMs);
      const onMessage = (m: unknown) => {
        if (!isMessage(m) || m.type !== 'modgate-metrics-response' || m.id !== id) return;
        clearTimeout(timer);
        process.off('message', onMessage);
        if (m.text !== undefined) resolve(m.text);
        else void own(m.error ?? 'aggregation failed');
      };
      process.on('message', onMessage);
      process.send?.({ type: 'modgate-metrics-request', id } satisfies Message);
    });
}
