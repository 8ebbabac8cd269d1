// Whether `modgate serve` listens before it builds the server (issue #10: start time). It does when
// nothing after the storage check can still refuse the configuration, so that every refusal is
// still printed before the listening line: one plain-HTTP process on the filesystem storage, with
// no file that is read at start (identities, policy, own checksum-database key, TLS pair), no Redis
// and no separate metrics listener. 'localhost' is left to fastify, which binds each of its addresses.
import type { Config } from './config-schema.js';

export function listensEarly(config: Config): boolean {
  return (
    config.workers <= 1 &&
    config.storage.scheme === 'fs' &&
    config.redis === '' &&
    config.identities === '' &&
    config.policy === '' &&
    config.ownSumdb === '' &&
    config.tlsCert === '' &&
    config.metricsListen === undefined &&
    config.listen.host !== 'localhost'
  );
}
