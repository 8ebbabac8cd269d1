// Wiring of who may connect and how: identities (tokens, JWT issuers), the access policy every route
// asks, the TLS pair (watched and reloaded) and /metrics on its own listener (--metrics-listen).
import type { FastifyInstance } from 'fastify';
import type { Server as TlsServer } from 'node:tls';
import type { Config } from './config/config-schema.js';
import type { Observation } from './compose-observe.js';
import { createAuthenticator, type Authenticator } from './auth/authenticator.js';
import { createAccessPolicy, type AccessPolicy } from './http/access-policy.js';
import { startMetricsServer } from './http/metrics-server.js';
import { readTlsPair, watchTlsPair, type TlsPair } from './http/tls-context.js';
import { listenAt } from './http/listen-url.js';
import type { EarlyListener } from './http/early-listener.js';

export interface AccessParts {
  readonly auth: Authenticator;
  readonly access: AccessPolicy;
  /** The certificate and key read at start (--tls-cert/--tls-key), absent for plain HTTP. */
  readonly tls?: TlsPair;
  /**
   * Listens (https with a TLS pair; on the early listener's socket when given), watches the pair,
   * starts the metrics listener; resolves the base URL.
   */
  listen(app: FastifyInstance, metricsText: () => Promise<string>, contentType: string, early?: EarlyListener): Promise<{ url: string; metricsUrl?: string }>;
  /** Closes the metrics listener (while the main server drains). */
  closeListeners(): Promise<void>;
  /** Stops the file watches. */
  close(): void;
}

export async function createAccess(config: Config, observe: Pick<Observation, 'events' | 'onIdentityReload' | 'onTlsReload'>): Promise<AccessParts> {
  const auth = await createAuthenticator({
    clientTokens: config.clientTokens,
    adminTokens: config.adminTokens,
    identitiesFile: config.identities,
    onReload: observe.onIdentityReload,
  });
  const access = createAccessPolicy({ auth, events: observe.events, allow: config.allow, deny: config.deny, metricsToken: config.metricsToken });
  const tlsFiles = config.tlsCert ? { cert: config.tlsCert, key: config.tlsKey } : undefined;
  const tls = tlsFiles && (await readTlsPair(tlsFiles));
  let tlsWatch: { close(): void } | undefined;
  let metricsApp: FastifyInstance | undefined;
  return {
    auth,
    access,
    ...(tls ? { tls } : {}),
    async listen(app, metricsText, contentType, early) {
      const url = `${await listenAt(app, config.listen, tlsFiles ? 'https' : 'http', early)}${config.pathPrefix}`;
      tlsWatch = tlsFiles && watchTlsPair(app.server as unknown as TlsServer, tlsFiles, observe.onTlsReload);
      if (!config.metricsListen) return { url };
      const metrics = await startMetricsServer({ listen: config.metricsListen, pathPrefix: config.pathPrefix, contentType, text: metricsText, access });
      metricsApp = metrics.app;
      return { url, metricsUrl: metrics.url };
    },
    async closeListeners() {
      await metricsApp?.close();
    },
    close() {
      auth.close();
      tlsWatch?.close();
    },
  };
}
