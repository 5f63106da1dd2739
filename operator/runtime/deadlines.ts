/**
 * Deadline scheduling for `requeueAfter` / `requeueAt`: a min-heap of (deadline, key) and ONE timer armed
 * for the earliest deadline — no polling loop, no timer per key. A key scheduled twice keeps its earliest
 * deadline (client-go's delaying queue does the same), so a later request can never postpone an earlier one.
 *
 * Deadlines are measured with the injected clock; the single timer only decides when to look again.
 * With a ManualClock, call `fireDue()` after advancing it.
 */
import type { Clock } from "../../lib/clock.js";

interface Entry {
  at: number;
  key: string;
}

/** Timer functions, injectable so that a test can count or control them. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    // A pending requeue must not keep a finished process (or a test run) alive.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Longest single wait; a longer deadline re-arms after this, which also bounds the effect of clock jumps. */
const MAX_TIMER_MS = 60 * 60_000;

export class DeadlineScheduler {
  readonly #heap: Entry[] = [];
  /** The deadline currently in force per key; heap entries that disagree are stale and skipped. */
  readonly #deadlines = new Map<string, number>();
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Number of keys waiting for a deadline. */
  get size(): number {
    return this.#deadlines.size;
  }

  /** Deadline (epoch ms) of a waiting key, if any. */
  deadlineOf(key: string): number | undefined {
    return this.#deadlines.get(key);
  }

  /** Calls `onDue(key)` once `at` (epoch ms) has passed, unless the key already waits for an earlier time. */
  schedule(key: string, at: number): void {
    if (this.#stopped) return;
    const current = this.#deadlines.get(key);
    if (current !== undefined && current <= at) return;
    this.#deadlines.set(key, at);
    this.#push({ at, key });
    this.fireDue();
  }

  /** Hands every due key to `onDue` and re-arms the timer for the next deadline. */
  fireDue(): void {
    if (this.#stopped) return;
    const now = this.clock.now().getTime();
    for (let head = this.#heap[0]; head !== undefined && head.at <= now; head = this.#heap[0]) {
      this.#pop();
      if (this.#deadlines.get(head.key) !== head.at) continue; // superseded by an earlier deadline
      this.#deadlines.delete(head.key);
      this.onDue(head.key);
    }
    this.#arm(now);
  }

  /** Drops every pending deadline and the timer. */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
    this.#heap.length = 0;
    this.#deadlines.clear();
  }

  #arm(now: number): void {
    while (this.#heap[0] && this.#deadlines.get(this.#heap[0].key) !== this.#heap[0].at) this.#pop();
    const next = this.#heap[0]?.at ?? Number.POSITIVE_INFINITY;
    if (next === this.#timerAt) return;
    this.#disarm();
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timerAt = next;
    this.#timer = this.timers.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.fireDue();
      },
      Math.min(Math.max(0, next - now), MAX_TIMER_MS),
    );
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
