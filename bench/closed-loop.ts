/**
 * The closed loop the load generators share: `concurrency` workers each send the next request as soon as
 * their previous one answered, until `requests` were sent. Returns what every load generator prints.
 */
export interface ClosedLoopResult {
  requests: number;
  failures: number;
  statuses: Record<string, number>;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runClosedLoop(
  requests: number,
  concurrency: number,
  expectedStatus: number,
  send: (i: number) => Promise<number>,
): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const t = performance.now();
        const status = await send(i);
        latencies.push(performance.now() - t);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    +latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(2);
  return {
    requests,
    failures: requests - (statuses[expectedStatus] ?? 0),
    statuses,
    perSecond: +(requests / seconds).toFixed(1),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}
