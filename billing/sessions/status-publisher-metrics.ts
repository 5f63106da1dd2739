/**
 * The status publisher's counters (ADR 0270) as Prometheus metrics on billing's /metrics registry
 * (ADR 0302): what is waiting, what was written, what failed and what the memory bound dropped — so a lag
 * of `kubectl get cs` behind PostgreSQL, or an API that refuses the writes, shows on the dashboard. Registered
 * once per registry (several routers of one app, as tests build, share them); `pending` sums the publishers
 * that are running.
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** What one publisher reports: an event counted, and its queue length when scraped. */
export interface PublisherMetrics {
  count(event: "written" | "failed" | "dropped"): void;
  attach(publisher: { readonly pending: number; readonly unprojected: number }): () => void;
}

interface Registered {
  written: Counter;
  failed: Counter;
  dropped: Counter;
  running: Set<{ readonly pending: number; readonly unprojected: number }>;
}

const byRegistry = new WeakMap<Registry, Registered>();

export function statusPublisherMetrics(registry: Registry): PublisherMetrics {
  let registered = byRegistry.get(registry);
  if (!registered) {
    const running = new Set<{ readonly pending: number; readonly unprojected: number }>();
    const registers = [registry];
    new Gauge({
      name: "billing_session_status_pending",
      help: "ContainerSession writes waiting in billing's status publisher: heartbeat statuses until the next flush (kind=status), creations of admitted sessions not yet done (kind=creation)",
      labelNames: ["kind"],
      registers,
      collect() {
        let statuses = 0;
        let creations = 0;
        for (const publisher of running) {
          statuses += publisher.pending;
          creations += publisher.unprojected;
        }
        this.set({ kind: "status" }, statuses);
        this.set({ kind: "creation" }, creations);
      },
    });
    registered = {
      running,
      written: new Counter({
        name: "billing_session_status_flushed_total",
        help: "ContainerSession status writes and creations the status publisher completed",
        registers,
      }),
      failed: new Counter({
        name: "billing_session_status_failed_total",
        help: "ContainerSession status writes and creations that failed (kept and retried at the next flush)",
        registers,
      }),
      dropped: new Counter({
        name: "billing_session_status_dropped_total",
        help: "Pending heartbeat statuses dropped at the memory bound (the session's next heartbeat carries the same fields)",
        registers,
      }),
    };
    byRegistry.set(registry, registered);
  }
  const metrics = registered;
  return {
    count: (event) => metrics[event].inc(),
    attach(publisher) {
      metrics.running.add(publisher);
      return () => metrics.running.delete(publisher);
    },
  };
}
