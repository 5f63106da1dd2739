/**
 * Per-key rate limits of the sessions API (seed-notes §2.10): validate 30/min per license key, heartbeat
 * 20/min per session token, release 10/min per session token; and the building blocks the per-client-IP
 * limits (billing/http/ip-limit.ts) use too. A fixed one-minute window per key.
 *
 * Where the count lives (RATE_LIMIT_STORE, ADR 0160): `postgres` — one table all billing replicas share,
 * so N replicas still allow the limit once (issue 13 §5), at one extra round trip per request; `memory` —
 * each replica's own Map (N replicas allow N×), for the embedded single-process PGlite. In both modes the
 * replica's own window is consulted first: a key this replica alone has seen over the limit is refused
 * without a database round trip, since one replica's count never exceeds all replicas' count.
 * An exceeded limit answers 429 `rate_limited` with Retry-After, distinct from `seat_limit_reached`.
 */
import { Gauge, type Registry } from "prom-client";
import type { Clock } from "../../lib/clock.js";
import type { BillingDeps, Db } from "../deps.js";
import { ApiError } from "../http/errors.js";
import { PostgresWindowStore, type SharedWindowStore } from "./rate-limit-postgres.js";

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

/**
 * At most this many keys per limiter (issue 13 §4): at ~200 bytes a window that is ~20 MB, whatever a
 * flood of distinct keys does. Keys are hashes or validated values, never raw request bodies.
 */
export const MAX_RATE_LIMIT_KEYS = 100_000;

export const SESSION_RATE_LIMITS = {
  validate: { limit: 30, windowMs: 60_000 },
  heartbeat: { limit: 20, windowMs: 60_000 },
  release: { limit: 10, windowMs: 60_000 },
} as const satisfies Record<string, RateLimitRule>;

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class FixedWindowLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  #lastSweep = 0;

  constructor(
    private readonly rule: RateLimitRule,
    private readonly clock: Clock,
    private readonly maxKeys = MAX_RATE_LIMIT_KEYS,
  ) {}

  /** How many keys are held (memory is bounded by maxKeys). */
  get size(): number {
    return this.#windows.size;
  }

  /** Counts one request for `key` and says whether it is within the limit. */
  take(key: string): RateLimitDecision {
    const now = this.clock.now().getTime();
    this.#sweep(now);
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.rule.windowMs) {
      window = { start: now, count: 0 };
      this.#windows.delete(key);
      if (this.#windows.size >= this.maxKeys) this.#makeRoom(now);
      this.#windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= this.rule.limit) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.rule.windowMs - now) / 1000)),
    };
  }

  /**
   * Full: forget the oldest window. A window is re-inserted when it starts, so the Map's insertion order
   * is start order and the front holds the finished ones — amortized O(1), no scan per request. When all
   * windows are current, the oldest goes anyway: a flood of new keys can then reset some other key's count
   * early, but it cannot exhaust memory, and refusing new keys instead would lock legitimate callers out.
   */
  #makeRoom(now: number): void {
    for (const [key, window] of this.#windows) {
      if (this.#windows.size < this.maxKeys && now - window.start < this.rule.windowMs) return;
      this.#windows.delete(key);
    }
  }

  /** Forget finished windows once per window length, so memory stays bounded by the active keys. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < this.rule.windowMs) return;
    this.#lastSweep = now;
    for (const [key, window] of this.#windows)
      if (now - window.start >= this.rule.windowMs) this.#windows.delete(key);
  }
}

const gauges = new WeakMap<Registry, Map<string, FixedWindowLimiter>>();

/**
 * Reports the limiter's key count as `billing_rate_limit_keys{limiter=…}` on /metrics, so the bound on its
 * memory can be watched (and tested over HTTP). A later limiter of the same name replaces the earlier one.
 */
export function reportLimiterKeys(registry: Registry, name: string, limiter: FixedWindowLimiter): void {
  let limiters = gauges.get(registry);
  if (!limiters) {
    const held = new Map<string, FixedWindowLimiter>();
    limiters = held;
    gauges.set(registry, held);
    new Gauge({
      name: "billing_rate_limit_keys",
      help: "Keys (license keys, session tokens, client IPs) a rate limiter currently holds a window for",
      labelNames: ["limiter"],
      registers: [registry],
      collect() {
        for (const [label, l] of held) this.set({ limiter: label }, l.size);
      },
    });
  }
  limiters.set(name, limiter);
}

/** Where counts are shared between replicas (billing/config.ts RATE_LIMIT_STORE). */
export const RATE_LIMIT_STORES = ["postgres", "memory"] as const;
export type RateLimitStoreKind = (typeof RATE_LIMIT_STORES)[number];

/**
 * One named limit (`sessions_validate`, `client_ip_checkout`, …): its rule, this replica's window per key
 * (bounded, ADR 0146) and, unless in memory mode, the shared store.
 */
export class NamedLimit {
  readonly local: FixedWindowLimiter;
  constructor(
    readonly name: string,
    readonly rule: RateLimitRule,
    clock: Clock,
    readonly shared: SharedWindowStore | undefined,
  ) {
    this.local = new FixedWindowLimiter(rule, clock);
  }
}

export interface RateLimitCharge {
  limit: NamedLimit;
  key: string;
}

const sharedStores = new WeakMap<Db, SharedWindowStore>();

/**
 * Creates a named limit for the app `deps` describes and reports its local key count on /metrics. Every
 * limit of one database shares one store object, so charges of several limits go in one round trip.
 */
export function namedLimit(
  deps: Pick<BillingDeps, "config" | "db" | "clock" | "metrics">,
  name: string,
  rule: RateLimitRule,
): NamedLimit {
  let shared: SharedWindowStore | undefined;
  if (deps.config.rateLimitStore === "postgres") {
    shared = sharedStores.get(deps.db);
    if (!shared) {
      shared = new PostgresWindowStore(deps.db, deps.clock);
      sharedStores.set(deps.db, shared);
    }
  }
  const limit = new NamedLimit(name, rule, deps.clock, shared);
  reportLimiterKeys(deps.metrics, name, limit.local);
  return limit;
}

/** The 429 `rate_limited` answer (with Retry-After) of a refused charge, distinct from `seat_limit_reached`. */
export function rateLimited(retryAfterSeconds: number): ApiError {
  return new ApiError(
    429,
    "rate_limited",
    `too many requests; retry after ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}

function firstRefusal(decisions: readonly RateLimitDecision[]): RateLimitDecision {
  return decisions.find((d) => !d.allowed) ?? { allowed: true };
}

/** Counts the charges in this replica's windows only (no I/O); the first refusal, else allowed. */
export function takeLocal(charges: readonly RateLimitCharge[]): RateLimitDecision {
  return firstRefusal(charges.map((c) => c.limit.local.take(c.key)));
}

/**
 * Counts the charges in the shared store: one round trip for all charges of one store, none in memory
 * mode. A database failure propagates: the request needs the database anyway and gets the usual 503
 * `database_unavailable` with Retry-After (ADR 0120), never a 500 and never an unlimited pass.
 */
export async function takeShared(charges: readonly RateLimitCharge[]): Promise<RateLimitDecision> {
  const byStore = new Map<SharedWindowStore, RateLimitCharge[]>();
  for (const charge of charges) {
    if (!charge.limit.shared) continue;
    byStore.set(charge.limit.shared, [...(byStore.get(charge.limit.shared) ?? []), charge]);
  }
  const decisions: RateLimitDecision[] = [];
  for (const [store, group] of byStore) {
    decisions.push(
      ...(await store.take(group.map((c) => ({ limiter: c.limit.name, key: c.key, rule: c.limit.rule })))),
    );
  }
  return firstRefusal(decisions);
}

const DEFERRED = "deferredRateLimitCharges";

/**
 * A charge counted locally by a middleware whose shared count the route sends together with its own (the
 * per-IP charge of validate goes in the same round trip as its per-key charge). Kept on `res.locals`.
 */
export function deferSharedCharge(locals: Record<string, unknown>, charge: RateLimitCharge): void {
  locals[DEFERRED] = [...takeDeferredCharges(locals), charge];
}

/** The deferred charges of this request (and forgets them, so none is sent twice). */
export function takeDeferredCharges(locals: Record<string, unknown>): RateLimitCharge[] {
  const charges = (locals[DEFERRED] as RateLimitCharge[] | undefined) ?? [];
  delete locals[DEFERRED];
  return charges;
}
