/**
 * Heartbeats reach the ContainerSession status asynchronously (issue 18 goal 1, ADR 0270): the request
 * path writes only PostgreSQL and records the status patch here; a timer writes the pending patches to the
 * cluster every `flushIntervalMs`. Coalesced per session (a newer patch merges over an older one, so a
 * session costs at most one API write per interval however often it beats), bounded in memory (past
 * `maxPending` sessions the oldest pending patch is dropped: the session's next heartbeat, minutes later,
 * carries the same fields, and the operator only expires a session after 30 minutes without one). State
 * changes do not wait here: release, termination and expiry are written at once by markEndedInCluster,
 * which first forgets the session's pending heartbeat.
 *
 * The same publisher projects admitted sessions (issue 18 goal 2, ADR 0271): admission commits in
 * PostgreSQL only, then `project` creates the resource at once in the background; a failed creation is
 * retried at every flush (and the cluster watchdog re-projects any live session the cluster lacks).
 */
import type { Logger } from "pino";
import type { SessionStatusPatch } from "./cluster.js";
import type { PublisherMetrics } from "./status-publisher-metrics.js";

export interface StatusPublisherOptions {
  /** How long a heartbeat may wait before its status is written (the documented `kubectl get cs` lag). */
  flushIntervalMs: number;
  /** Sessions with a pending patch at most; beyond, the oldest pending patch is dropped. */
  maxPending: number;
  /** API writes in flight at once during a flush. */
  concurrency: number;
}

export const DEFAULT_STATUS_PUBLISHER: StatusPublisherOptions = {
  flushIntervalMs: 5_000,
  maxPending: 50_000,
  concurrency: 8,
};

/**
 * Counters a benchmark or a test can read; `written`, `failed` and `dropped` also go to /metrics when the
 * publisher is given PublisherMetrics (status-publisher-metrics.ts, ADR 0302).
 */
export interface StatusPublisherStats {
  recorded: number;
  coalesced: number;
  dropped: number;
  written: number;
  failed: number;
}

/**
 * Writes one pending patch. Rejects when the write should be tried again at the next flush (e.g. the API
 * was unavailable); the entry is then kept unless a newer heartbeat replaced it meanwhile.
 */
export type StatusWrite<T> = (item: T, patch: SessionStatusPatch) => Promise<void>;

interface Pending<T> {
  item: T;
  patch: SessionStatusPatch;
}

export class SessionStatusPublisher<T> {
  readonly #write: StatusWrite<T>;
  readonly #options: StatusPublisherOptions;
  readonly #logger: Logger;
  #pending = new Map<string, Pending<T>>();
  /** Creations running now, by session; an end waits for its session's (settled). */
  readonly #projecting = new Map<string, Promise<void>>();
  /** Creations that failed, retried at each flush. */
  readonly #unprojected = new Map<string, () => Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  readonly #metrics: PublisherMetrics | undefined;
  #detach: (() => void) | undefined;
  readonly stats: StatusPublisherStats = { recorded: 0, coalesced: 0, dropped: 0, written: 0, failed: 0 };

  constructor(
    write: StatusWrite<T>,
    logger: Logger,
    options: Partial<StatusPublisherOptions> = {},
    metrics?: PublisherMetrics,
  ) {
    this.#write = write;
    this.#logger = logger;
    this.#options = { ...DEFAULT_STATUS_PUBLISHER, ...options };
    this.#metrics = metrics;
  }

  #count(event: "written" | "failed" | "dropped"): void {
    this.stats[event] += 1;
    this.#metrics?.count(event);
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Queues `patch` for the session `key`, merged over a patch still pending for it. */
  record(key: string, item: T, patch: SessionStatusPatch): void {
    this.stats.recorded += 1;
    const older = this.#pending.get(key);
    if (older) {
      this.stats.coalesced += 1;
      // Re-inserted so the Map's order stays "least recently recorded first" (what is dropped first).
      this.#pending.delete(key);
      this.#pending.set(key, { item, patch: { ...older.patch, ...patch } });
      return;
    }
    if (this.#pending.size >= this.#options.maxPending) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
      this.#count("dropped");
    }
    this.#pending.set(key, { item, patch });
  }

  /** Drops the pending patch (and creation) of a session whose state just changed (its end is written directly). */
  forget(key: string): void {
    this.#pending.delete(key);
    this.#unprojected.delete(key);
  }

  /** Runs `create` (the resource of a just-admitted session) now, in the background; retried until it succeeds. */
  project(key: string, create: () => Promise<void>): void {
    const running = create().then(
      () => this.#count("written"),
      (error: unknown) => {
        this.#count("failed");
        this.#unprojected.set(key, create);
        this.#logger.warn({ err: error, session: key }, "ContainerSession creation failed; retried");
      },
    );
    const tracked = running.finally(() => {
      if (this.#projecting.get(key) === tracked) this.#projecting.delete(key);
    });
    this.#projecting.set(key, tracked);
  }

  /** Waits for a creation of the session still running (so its end is written after it, not before). */
  async settled(key: string): Promise<void> {
    await this.#projecting.get(key);
  }

  /** Creations not yet done (running or waiting for a retry). */
  get unprojected(): number {
    return this.#projecting.size + this.#unprojected.size;
  }

  /** Writes every pending patch now (one flush at a time; a call during a flush waits for it, then runs). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#flushing = this.#flushOnce().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const retries = [...this.#unprojected.entries()];
    this.#unprojected.clear();
    for (const [key, create] of retries) this.project(key, create);
    await Promise.all(retries.map(([key]) => this.settled(key)));
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.entries()];
    this.#pending = new Map();
    let next = 0;
    const worker = async () => {
      while (next < batch.length) {
        const [key, entry] = batch[next++]!;
        try {
          await this.#write(entry.item, entry.patch);
          this.#count("written");
        } catch (error) {
          this.#count("failed");
          // Kept for the next flush unless a newer heartbeat of the session is already pending.
          if (!this.#pending.has(key)) this.record(key, entry.item, entry.patch);
          this.#logger.warn({ err: error, session: key }, "ContainerSession status write failed; retried");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, batch.length) }, worker));
  }

  /** Starts the periodic flush (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer) return;
    this.#detach = this.#metrics?.attach(this);
    this.#timer = setInterval(() => {
      if (!this.#flushing) void this.flush();
    }, this.#options.flushIntervalMs);
    this.#timer.unref();
  }

  /**
   * Stops the timer and writes what is pending: the creations still running are awaited, failed ones tried
   * once more, and every queued status is written (billing's shutdown calls this before the pool closes,
   * so a replica going away drops no heartbeat of its last interval). What still fails stays counted as
   * failed; the next replica's watchdog and the sessions' next heartbeats converge the cluster.
   */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#projecting.values());
    await this.flush();
    this.#detach?.();
    this.#detach = undefined;
  }
}
