import type { ApnsTransport, TransportHooks } from '../transport/apns-transport.js';
import { BinaryTransport } from '../transport/binary/binary-transport.js';
import { Http2Transport } from '../transport/http2/http2-transport.js';
import type { TransportConfig } from '../transport/transport-config.js';

/** Builds the transport a client sends through; tests inject their own. */
export type ApnsTransportFactory = (
  kind: 'http2' | 'binary',
  config: TransportConfig,
  hooks: TransportHooks,
) => ApnsTransport;

/** The HTTP/2 or binary transport, as the options name it. */
export const createTransport: ApnsTransportFactory = (kind, config, hooks) =>
  kind === 'binary' ? new BinaryTransport(config, hooks) : new Http2Transport(config, hooks);
