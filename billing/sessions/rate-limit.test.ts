/** The fixed-window limiter's memory bound (issue 13 §4): a flood of distinct keys never grows it past its cap. */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { FixedWindowLimiter } from "./rate-limit.js";

const rule = { limit: 2, windowMs: 60_000 };

describe("FixedWindowLimiter", () => {
  it("holds at most maxKeys keys under a flood of distinct keys", () => {
    const limiter = new FixedWindowLimiter(rule, new ManualClock("2026-06-01T00:00:00Z"), 100);
    for (let n = 0; n < 10_000; n++) expect(limiter.take(`flood-${n}`)).toEqual({ allowed: true });
    expect(limiter.size).toBe(100);
  });

  it("makes room by forgetting finished windows first, then the oldest current one", () => {
    const clock = new ManualClock("2026-06-01T00:00:00Z");
    const limiter = new FixedWindowLimiter(rule, clock, 3);
    limiter.take("old");
    clock.advance(59_000);
    limiter.take("a");
    limiter.take("a");
    limiter.take("b");
    clock.advance(2_000); // "old" has finished, "a" and "b" have not
    limiter.take("c");
    expect(limiter.size).toBe(3);
    // "a" kept its count: its third request in the window is refused.
    expect(limiter.take("a")).toEqual({ allowed: false, retryAfterSeconds: 58 });
    limiter.take("d"); // full of current windows: the oldest ("a") goes, "b" and "c" stay
    expect(limiter.size).toBe(3);
    expect(limiter.take("b")).toEqual({ allowed: true });
    expect(limiter.take("b")).toMatchObject({ allowed: false });
    expect(limiter.take("a")).toEqual({ allowed: true });
  });

  it("still limits a key and reports when its window ends", () => {
    const clock = new ManualClock("2026-06-01T00:00:00Z");
    const limiter = new FixedWindowLimiter(rule, clock);
    limiter.take("k");
    limiter.take("k");
    clock.advance(15_000);
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 45 });
    clock.advance(45_000);
    expect(limiter.take("k")).toEqual({ allowed: true });
  });
});
