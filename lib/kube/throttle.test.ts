import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock.js";
import { RequestThrottle } from "./throttle.js";

describe("RequestThrottle (client-go QPS/burst)", () => {
  it("lets the burst through at once, then makes each further request wait its share of a second", async () => {
    const clock = new ManualClock();
    const throttle = new RequestThrottle({ qps: 1_000, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) await throttle.acquire();
    expect(throttle.throttled).toBe(0);
    await throttle.acquire(); // the 4th waits 1 ms of real time
    expect(throttle.throttled).toBe(1);
    clock.advance(4); // four tokens refilled: one repays the 4th request, three are free
    for (let i = 0; i < 3; i++) await throttle.acquire();
    expect(throttle.throttled).toBe(1);
  });

  it("refuses a limit that would block forever", () => {
    expect(() => new RequestThrottle({ qps: 0, burst: 1 }, new ManualClock())).toThrow(/ratePerSecond > 0/);
  });
});
