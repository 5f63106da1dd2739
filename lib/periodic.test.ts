import { describe, expect, it } from "vitest";
import { startPeriodic } from "./periodic.js";

describe("startPeriodic", () => {
  it("never overlaps a run: a call during a run gets that run", async () => {
    let started = 0;
    let release!: () => void;
    const task = startPeriodic(async () => {
      started += 1;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return started;
    }, 60_000);
    const first = task.runOnce();
    const second = task.runOnce();
    expect(second).toBe(first);
    release();
    expect(await first).toBe(1);
    const third = task.runOnce();
    expect(third).not.toBe(first);
    release();
    expect(await third).toBe(2);
    await task.stop();
  });

  it("runs on its interval until stopped, and stop() waits for the run in flight", async () => {
    let runs = 0;
    let finished = 0;
    const task = startPeriodic(async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished += 1;
    }, 10);
    while (runs < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await task.stop();
    expect(finished).toBe(runs);
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toBe(after);
  });
});
