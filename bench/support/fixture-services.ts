// The module fixture with its checksum DB and a counting file upstream, started within a bench
// scope (stopped when the scope ends).
import { buildFixture, startSumdb, type Fixture, type SumdbServer } from '../../test/support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../../test/support/file-proxy-server.js';
import type { BenchScope } from './bench-scope.js';

export interface FixtureServices {
  readonly fixture: Fixture;
  readonly sumdb: SumdbServer;
  readonly upstream: FileProxyServer;
}

export async function startFixtureServices(scope: BenchScope): Promise<FixtureServices> {
  const fixture = await buildFixture();
  const sumdb = await startSumdb({ proxyDir: fixture.proxyDir });
  scope.defer(() => sumdb.stop());
  const upstream = await startFileProxy({ dir: fixture.proxyDir });
  scope.defer(() => upstream.stop());
  return { fixture, sumdb, upstream };
}
