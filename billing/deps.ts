/**
 * Everything the billing app needs from the outside world, injected so tests can pass real parts
 * (a real PostgreSQL, the Stripe SDK pointed at the fake, the Kubernetes API test server) and a ManualClock.
 */
import type pg from "pg";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type Stripe from "stripe";
import type { Clock } from "../lib/clock.js";
import type { ClusterFeed } from "./cluster/feed.js";
import type { BillingConfig } from "./config.js";

/** A pg.Pool or anything with the same query/connect surface. */
export type Db = Pick<pg.Pool, "query" | "connect">;

export interface BillingDeps {
  config: BillingConfig;
  db: Db;
  stripe: Stripe;
  clock: Clock;
  logger: Logger;
  /** Absent when KUBECONFIG is unset: licenses are then kept in Postgres only. */
  kube?: ClusterFeed | undefined;
  metrics: Registry;
}
