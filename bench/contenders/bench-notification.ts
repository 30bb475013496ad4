/**
 * The notification every contender sends, in each library's own terms; all of
 * them put the same JSON on the wire:
 * {"aps":{"alert":{"title":"Benchmark","body":"Your order has shipped"},"badge":1,"sound":"default"}}
 */
export const BENCH_ALERT = { title: 'Benchmark', body: 'Your order has shipped' } as const;
export const BENCH_BADGE = 1;
export const BENCH_SOUND = 'default';

export const BENCH_PAYLOAD_JSON = JSON.stringify({ aps: { alert: BENCH_ALERT, badge: BENCH_BADGE, sound: BENCH_SOUND } });

/** A distinct payload per index (memory scenario's stream of different notifications). */
export function distinctAlertBody(index: number): string {
  return `Your order #${index} has shipped`;
}
