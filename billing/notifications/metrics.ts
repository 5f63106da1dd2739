/**
 * Outbox gauges read from PostgreSQL at scrape time (as ADR 0132's license gauges): every replica reports
 * the same numbers (dashboards take max()). A failed read leaves the gauge empty rather than stale.
 */
import { Gauge, type Registry } from "prom-client";
import type { Db } from "../deps.js";
import { countByState, NOTIFICATION_STATES } from "./outbox.js";

const registered = new WeakSet<Registry>();

export function registerNotificationMetrics(
  registry: Registry,
  db: Db,
  onError: (err: unknown) => void,
): void {
  if (registered.has(registry)) return;
  registered.add(registry);
  new Gauge({
    name: "billing_notifications",
    help: "Outbox messages by state: pending (queued or retrying), sent, failed (attempts exhausted; admin retry)",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      try {
        const counts = await countByState(db);
        for (const state of NOTIFICATION_STATES) this.set({ state }, counts[state]);
      } catch (err) {
        onError(err);
        this.reset();
      }
    },
  });
}
