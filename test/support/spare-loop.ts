import type { LoopLoad } from '../../src/transport/event-loop-load.js';

/**
 * A loop that always has time to spare, as when the gateway rather than this
 * process is the slow side: the pool then adds a connection whenever all are
 * full, up to maxConnections. For tests about what happens across several
 * connections (on loopback the process is often busy, and one would do).
 */
export const SPARE_LOOP: LoopLoad = { sample: () => 0.1, restart: () => undefined };
