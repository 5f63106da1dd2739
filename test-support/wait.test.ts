import { describe, expect, it } from "vitest";
import { waitFor } from "./wait.js";

describe("waitFor", () => {
  it("returns the first truthy value, treating throws and falsy values as not yet", async () => {
    let calls = 0;
    const value = await waitFor(
      "the third call",
      () => {
        calls += 1;
        if (calls === 1) throw new Error("not ready");
        return calls === 3 ? { calls } : false;
      },
      { intervalMs: 1 },
    );
    expect(value).toEqual({ calls: 3 });
  });

  it("names what it waited for and the last error on timeout", async () => {
    await expect(
      waitFor(
        "the impossible",
        () => {
          throw new Error("still broken");
        },
        { timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow(/waiting for the impossible; last: still broken/);
  });
});
