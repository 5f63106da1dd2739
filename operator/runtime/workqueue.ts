/**
 * The keyed work queue behind every controller, with client-go's guarantees:
 * - de-duplicated: a key waiting in the queue is held once, however often it is added;
 * - exclusive: a key handed to a worker is not handed out again until `done(key)`; adds that arrive while
 *   it is processed are coalesced into one more pass that starts after `done`;
 * - delayed adds (`addAfter`, `addAt`) go through a deadline heap, and `addRateLimited` asks the rate
 *   limiter (per-key exponential backoff + overall bucket) how long to wait. Nothing is ever dropped.
 */
import type { Clock } from "../../lib/clock.js";
import { DeadlineScheduler, realTimers, type Timers } from "./deadlines.js";
import type { RateLimiter } from "./rate-limit.js";

/** Observations a queue reports; `operator/runtime/metrics.ts` turns them into workqueue_* metrics. */
export interface QueueObserver {
  added(): void;
  depth(depth: number): void;
  /** Seconds the key waited in the queue before a worker took it. */
  queued(seconds: number): void;
  /** Seconds a worker held the key. */
  worked(seconds: number): void;
  retried(): void;
}

export class WorkQueue {
  /** Keys ready for a worker, in arrival order (a Set keeps insertion order and rejects duplicates). */
  readonly #ready = new Set<string>();
  /** Keys that need a (further) pass: in #ready, or processing with a pass pending. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Map<string, number>();
  readonly #enqueuedAt = new Map<string, number>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #deadlines: DeadlineScheduler;
  #shuttingDown = false;

  constructor(
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
    private readonly observer?: QueueObserver,
    timers: Timers = realTimers,
  ) {
    this.#deadlines = new DeadlineScheduler(clock, (key) => this.add(key), timers);
  }

  /** Keys waiting for a worker (not counting delayed or in-flight ones). */
  get depth(): number {
    return this.#ready.size;
  }

  /** Keys currently held by workers. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Keys waiting for a deadline. */
  get delayed(): number {
    return this.#deadlines.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Epoch ms at which the oldest in-flight key was taken (for the longest-running metric), if any. */
  oldestInFlightSince(): number | undefined {
    let oldest: number | undefined;
    for (const since of this.#processing.values()) if (oldest === undefined || since < oldest) oldest = since;
    return oldest;
  }

  /** Marks `key` as needing a pass. Coalesced with any pending pass for the same key. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.observer?.added();
    this.#dirty.add(key);
    this.#enqueuedAt.set(key, this.clock.now().getTime());
    if (this.#processing.has(key)) return; // re-queued by done()
    this.#pushReady(key);
  }

  /** Adds `key` once `delayMs` has passed (at once if <= 0). An earlier pending deadline wins. */
  addAfter(key: string, delayMs: number): void {
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    this.addAt(key, new Date(this.clock.now().getTime() + delayMs));
  }

  /** Adds `key` at `at`. An earlier pending deadline for the same key wins. */
  addAt(key: string, at: Date): void {
    if (this.#shuttingDown) return;
    if (at.getTime() <= this.clock.now().getTime()) {
      this.add(key);
      return;
    }
    this.#deadlines.schedule(key, at.getTime());
  }

  /** Adds `key` after the rate limiter's delay: call after a failed pass. */
  addRateLimited(key: string): void {
    this.observer?.retried();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears the key's backoff history: call after a successful pass. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  retries(key: string): number {
    return this.limiter.retries(key);
  }

  /** Re-checks deadlines against the clock (needed only with a manual clock). */
  fireDueDeadlines(): void {
    this.#deadlines.fireDue();
  }

  /** Waits for the next key; `undefined` once the queue is shut down. The caller must call `done(key)`. */
  get(): Promise<string | undefined> {
    const key = this.#takeReady();
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Releases `key` after a pass; if it was added meanwhile, it goes back to the ready list. */
  done(key: string): void {
    const since = this.#processing.get(key);
    if (since === undefined) return;
    this.#processing.delete(key);
    this.observer?.worked((this.clock.now().getTime() - since) / 1000);
    if (this.#dirty.has(key)) this.#pushReady(key);
    if (this.#processing.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /**
   * Stops handing out keys: waiting `get()` calls resolve with `undefined`, delayed keys are dropped.
   * Resolves when every in-flight key is `done` (the drain).
   */
  shutDown(): Promise<void> {
    this.#shuttingDown = true;
    this.#deadlines.stop();
    this.#ready.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pushReady(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#ready.add(key);
      waiter(this.#takeReady());
      return;
    }
    this.#ready.add(key);
    this.observer?.depth(this.#ready.size);
  }

  #takeReady(): string | undefined {
    const next = this.#ready.values().next();
    if (next.done) return undefined;
    const key = next.value;
    this.#ready.delete(key);
    this.#dirty.delete(key);
    const now = this.clock.now().getTime();
    this.#processing.set(key, now);
    this.observer?.depth(this.#ready.size);
    this.observer?.queued((now - (this.#enqueuedAt.get(key) ?? now)) / 1000);
    this.#enqueuedAt.delete(key);
    return key;
  }
}
