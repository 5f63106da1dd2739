/**
 * Gauges read from PostgreSQL when Prometheus scrapes (ADR 0132): licenses by state, live sessions, the
 * most sessions one license lost to termination recently, and whether the database answered at all.
 * Postgres is the truth, so nothing is counted in memory that a restart or a second replica would get
 * wrong; every replica reports the same values (dashboards take max(), not sum()).
 *
 * prom-client collects all metrics of a scrape concurrently, so the three queries run once per scrape
 * (one shared read) however many gauges ask.
 */
import { Gauge, type Registry } from "prom-client";
import type { Clock } from "../../lib/clock.js";
import type { Db } from "../deps.js";
import { DEFAULT_SESSION_TIMING, liveSince } from "../sessions/decide.js";

export const LICENSE_STATES = ["active", "pastDue", "suspended", "expired", "revoked"] as const;
/** The window of billing_license_sessions_terminated_recent_max. */
export const TERMINATION_WINDOW_MS = 10 * 60 * 1000;
/** A scrape whose queries take longer than this reports the database down instead of hanging. */
export const STATE_QUERY_TIMEOUT_MS = 3000;

export interface StateSnapshot {
  licenses: Record<string, number>;
  activeSessions: number;
  maxTerminatedPerLicense: number;
}

/** Reads the snapshot; rejects when the database does not answer. */
export async function readStateSnapshot(db: Db, now: Date): Promise<StateSnapshot> {
  const [licenses, live, terminated] = await Promise.all([
    db.query<{ state: string; n: number }>("SELECT state, count(*)::int AS n FROM licenses GROUP BY state"),
    db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM container_sessions WHERE state = 'active' AND last_heartbeat_at > $1",
      [liveSince(now, DEFAULT_SESSION_TIMING)],
    ),
    db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM container_sessions
        WHERE state = 'terminated' AND ended_at > $1 GROUP BY license_id ORDER BY n DESC LIMIT 1`,
      [new Date(now.getTime() - TERMINATION_WINDOW_MS)],
    ),
  ]);
  const byState: Record<string, number> = Object.fromEntries(LICENSE_STATES.map((s) => [s, 0]));
  for (const row of licenses.rows) byState[row.state] = row.n;
  return {
    licenses: byState,
    activeSessions: live.rows[0]?.n ?? 0,
    maxTerminatedPerLicense: terminated.rows[0]?.n ?? 0,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const registered = new WeakSet<Registry>();

/** Registers the scrape-time gauges on `registry` (once per registry). */
export function registerStateMetrics(
  registry: Registry,
  db: Db,
  clock: Clock,
  onError: (error: unknown) => void = () => {},
): void {
  if (registered.has(registry)) return;
  registered.add(registry);
  // The gauges of one scrape are collected in the same tick, so they share the read in flight; the next
  // scrape reads again.
  let inFlight: Promise<StateSnapshot | undefined> | undefined;
  const snapshot = (): Promise<StateSnapshot | undefined> => {
    inFlight ??= withTimeout(readStateSnapshot(db, clock.now()), STATE_QUERY_TIMEOUT_MS)
      .catch((error) => {
        onError(error);
        return undefined;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  const registers = [registry];
  new Gauge({
    name: "billing_licenses",
    help: "Licenses by state (read from PostgreSQL at scrape time)",
    labelNames: ["state"],
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return this.reset();
      for (const [state, n] of Object.entries(s.licenses)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: "billing_active_sessions",
    help: "Container sessions holding a seat (active and heartbeated within the expiry window)",
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return this.reset();
      this.set(s.activeSessions);
    },
  });
  new Gauge({
    name: "billing_license_sessions_terminated_recent_max",
    help: "The most sessions any one license had terminated in the last 10 minutes (mass terminations)",
    registers,
    async collect() {
      const s = await snapshot();
      if (!s) return this.reset();
      this.set(s.maxTerminatedPerLicense);
    },
  });
  new Gauge({
    name: "billing_database_up",
    help: "1 when PostgreSQL answered this scrape's queries, 0 when it did not",
    registers,
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
}
