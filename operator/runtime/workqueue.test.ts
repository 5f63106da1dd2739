import { describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { TokenBucket } from "../../lib/token-bucket.js";
import { DeadlineScheduler, type Timers } from "./deadlines.js";
import { ControllerRateLimiter, ItemExponentialBackoff } from "./rate-limit.js";
import { WorkQueue } from "./workqueue.js";

/** Timers that never fire on their own: the test drives time with a ManualClock and fireDue(). */
function heldTimers(): Timers & { armed: number[] } {
  const armed: number[] = [];
  return {
    armed,
    setTimeout: (_fn, ms) => {
      armed.push(ms);
      return armed.length;
    },
    clearTimeout: () => {},
  };
}

function queue(clock = new ManualClock()) {
  const timers = heldTimers();
  const q = new WorkQueue(clock, new ItemExponentialBackoff(10, 1000), undefined, timers);
  return { q, clock, timers };
}

describe("ItemExponentialBackoff", () => {
  it("doubles per failure, caps, never gives up, and forgets", () => {
    const b = new ItemExponentialBackoff(5, 300_000);
    const delays = Array.from({ length: 20 }, () => b.when("a"));
    expect(delays.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(delays.at(-1)).toBe(300_000);
    expect(b.retries("a")).toBe(20);
    expect(b.when("other")).toBe(5);
    b.forget("a");
    expect(b.when("a")).toBe(5);
  });

  it("rejects a cap below the base", () => {
    expect(() => new ItemExponentialBackoff(10, 5)).toThrow(/baseMs <= maxMs/);
  });

  it("stays finite after thousands of failures", () => {
    const b = new ItemExponentialBackoff(5, 1000);
    for (let i = 0; i < 5000; i++) b.when("k");
    expect(b.when("k")).toBe(1000);
  });
});

describe("TokenBucket", () => {
  it("grants the burst at once, then spaces reservations at the rate, and refills with time", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(10, 3, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBe(100);
    expect(bucket.reserve()).toBe(200);
    clock.advance(1000); // 10 tokens refill, capped at burst 3, minus the 2 owed
    expect(bucket.reserve()).toBe(0);
  });

  it("combined with per-key backoff, the larger delay wins", () => {
    const clock = new ManualClock();
    const limiter = new ControllerRateLimiter(
      new ItemExponentialBackoff(5, 60_000),
      new TokenBucket(1, 1, clock),
    );
    expect(limiter.when("a")).toBe(5); // bucket has its token
    expect(limiter.when("b")).toBe(1000); // bucket empty: 1 s > 5 ms
  });
});

describe("DeadlineScheduler", () => {
  it("fires keys in deadline order, keeps the earliest deadline per key, arms one timer", () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const timers = heldTimers();
    const s = new DeadlineScheduler(clock, (k) => fired.push(k), timers);
    const t0 = clock.now().getTime();
    s.schedule("c", t0 + 300);
    s.schedule("a", t0 + 100);
    s.schedule("b", t0 + 200);
    s.schedule("a", t0 + 250); // later than the pending 100: ignored
    s.schedule("b", t0 + 50); // earlier: replaces 200
    expect(s.size).toBe(3);
    expect(timers.armed.at(-1)).toBe(50);
    clock.advance(120);
    s.fireDue();
    expect(fired).toEqual(["b", "a"]);
    expect(timers.armed.at(-1)).toBe(180);
    clock.advance(1000);
    s.fireDue();
    expect(fired).toEqual(["b", "a", "c"]);
    expect(s.size).toBe(0);
  });

  it("handles many keys in order (heap property)", () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const s = new DeadlineScheduler(clock, (k) => fired.push(Number(k)), heldTimers());
    const t0 = clock.now().getTime();
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    for (const v of values) s.schedule(String(v), t0 + 1 + v);
    clock.advance(5000);
    s.fireDue();
    expect(fired).toEqual([...new Set(values)].sort((x, y) => x - y));
  });

  it("fires on a real timer without anyone calling fireDue", async () => {
    const fired: string[] = [];
    const s = new DeadlineScheduler({ now: () => new Date() }, (k) => fired.push(k));
    s.schedule("x", Date.now() + 20);
    const until = Date.now() + 5000;
    while (fired.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(fired).toEqual(["x"]);
    s.stop();
  });
});

describe("WorkQueue", () => {
  it("de-duplicates keys waiting in the queue and keeps FIFO order", async () => {
    const { q } = queue();
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  it("never hands a key to two workers; adds during processing coalesce into one later pass", async () => {
    const { q } = queue();
    q.add("a");
    const first = await q.get();
    q.add("a");
    q.add("a");
    expect(q.depth).toBe(0); // held back while "a" is processed
    let second: string | undefined = "pending";
    const waiting = q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    expect(second).toBe("pending");
    q.done(first!);
    await waiting;
    expect(second).toBe("a");
    q.done("a");
    expect(q.depth).toBe(0); // exactly one extra pass
  });

  it("addAfter waits for the deadline; rate-limited adds back off per key and forget resets", async () => {
    const { q, clock } = queue();
    q.addAfter("a", 500);
    expect(q.depth).toBe(0);
    expect(q.delayed).toBe(1);
    clock.advance(499);
    q.fireDueDeadlines();
    expect(q.depth).toBe(0);
    clock.advance(1);
    q.fireDueDeadlines();
    expect(await q.get()).toBe("a");
    q.done("a");

    q.addRateLimited("b"); // 10 ms
    q.addRateLimited("b"); // pending deadline 10 ms stays (earliest wins), backoff counter now 2
    expect(q.retries("b")).toBe(2);
    clock.advance(10);
    q.fireDueDeadlines();
    expect(await q.get()).toBe("b");
    q.done("b");
    q.forget("b");
    expect(q.retries("b")).toBe(0);
  });

  it("addAt in the past adds at once", async () => {
    const { q, clock } = queue();
    q.addAt("a", new Date(clock.now().getTime() - 1));
    expect(q.depth).toBe(1);
  });

  it("shutDown wakes idle workers with undefined and drains in-flight keys", async () => {
    const { q } = queue();
    q.add("a");
    const key = await q.get();
    const idle = q.get();
    q.addAfter("later", 1000);
    let drained = false;
    const shutdown = q.shutDown().then(() => {
      drained = true;
    });
    expect(await idle).toBeUndefined();
    await Promise.resolve();
    expect(drained).toBe(false);
    q.add("ignored");
    expect(q.depth).toBe(0);
    q.done(key!);
    await shutdown;
    expect(drained).toBe(true);
    expect(q.delayed).toBe(0);
  });
});
