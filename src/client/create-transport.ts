import type { ApnsTransport, TransportHooks } from '../transport/apns-transport.js';
import type { TransportConfig } from '../transport/transport-config.js';

/** Builds the transport a client sends through; tests inject their own. */
export type ApnsTransportFactory = (
  kind: 'http2' | 'binary',
  config: TransportConfig,
  hooks: TransportHooks,
) => ApnsTransport;

/** The transports land separately; until then a client needs an injected factory. */
export const createTransport: ApnsTransportFactory = (kind) => {
  throw new Error(`The ${kind} transport is not available in this build.`);
};
