/**
 * Group commit on a write we control (each write waits until the test finishes it): a lone item goes at
 * once, items that arrive meanwhile share the next write, a key twice waits for a later write, each item gets
 * its own result only after its write finished, a failed write fails only its batch.
 */
import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.js";

interface Item {
  key: string;
  value: number;
}

/** A write that records its batches and finishes each only when the test says so. */
function controlledWrite() {
  const batches: Item[][] = [];
  const pending: { resolve: (r: number[]) => void; reject: (e: unknown) => void; batch: Item[] }[] = [];
  const write = (batch: readonly Item[]) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push([...batch]);
      pending.push({ resolve, reject, batch: [...batch] });
    });
  const finishNext = () => {
    const next = pending.shift();
    if (!next) throw new Error("no write in flight");
    next.resolve(next.batch.map((i) => i.value * 10));
  };
  const failNext = (error: Error) => {
    const next = pending.shift();
    if (!next) throw new Error("no write in flight");
    next.reject(error);
  };
  return { batches, write, finishNext, failNext, inFlight: () => pending.length };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const item = (key: string, value: number): Item => ({ key, value });

describe("GroupCommit", () => {
  it("a lone item is written at once; items that arrive while it is in flight share the next write", async () => {
    const w = controlledWrite();
    const group = new GroupCommit<Item, number>({ keyOf: (i) => i.key, write: w.write });
    const first = group.submit(item("a", 1));
    expect(w.batches).toEqual([[item("a", 1)]]);
    const rest = ["b", "c", "d"].map((k, i) => group.submit(item(k, i + 2)));
    expect(w.batches).toHaveLength(1);
    w.finishNext();
    expect(await first).toBe(10);
    await flush();
    expect(w.batches[1]).toEqual([item("b", 2), item("c", 3), item("d", 4)]);
    w.finishNext();
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(w.inFlight()).toBe(0);
  });

  it("an item resolves only after the write that carried it finished", async () => {
    const w = controlledWrite();
    const group = new GroupCommit<Item, number>({ keyOf: (i) => i.key, write: w.write });
    let settled = false;
    void group.submit(item("a", 1)).then(() => {
      settled = true;
    });
    await flush();
    expect(settled).toBe(false);
    w.finishNext();
    await flush();
    expect(settled).toBe(true);
  });

  it("a key already in the batch waits for a later write, in arrival order", async () => {
    const w = controlledWrite();
    const group = new GroupCommit<Item, number>({ keyOf: (i) => i.key, write: w.write });
    const results = [item("x", 1), item("k", 2), item("y", 3), item("k", 4), item("k", 5)].map((i) =>
      group.submit(i),
    );
    // x alone at once; then k, y together; then k; then k.
    w.finishNext();
    await flush();
    expect(w.batches[1]).toEqual([item("k", 2), item("y", 3)]);
    w.finishNext();
    await flush();
    expect(w.batches[2]).toEqual([item("k", 4)]);
    w.finishNext();
    await flush();
    expect(w.batches[3]).toEqual([item("k", 5)]);
    w.finishNext();
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40, 50]);
  });

  it("a failed write rejects only its batch; the items that arrived meanwhile are written", async () => {
    const w = controlledWrite();
    const group = new GroupCommit<Item, number>({ keyOf: (i) => i.key, write: w.write });
    const first = group.submit(item("a", 1));
    const second = group.submit(item("b", 2));
    w.failNext(new Error("database unavailable"));
    await expect(first).rejects.toThrow("database unavailable");
    await flush();
    w.finishNext();
    expect(await second).toBe(20);
  });

  it("a write that throws instead of rejecting fails its batch and does not stop the next", async () => {
    let calls = 0;
    const group = new GroupCommit<Item, number>({
      keyOf: (i) => i.key,
      write: (batch) => {
        calls += 1;
        if (calls === 1) throw new Error("bad parameters");
        return Promise.resolve(batch.map((i) => i.value));
      },
    });
    const results = await Promise.allSettled([group.submit(item("a", 1)), group.submit(item("b", 2))]);
    expect(results).toEqual([
      { status: "rejected", reason: new Error("bad parameters") },
      { status: "fulfilled", value: 2 },
    ]);
  });

  it("a write that returns the wrong number of results fails its batch instead of misassigning them", async () => {
    const group = new GroupCommit<Item, number>({
      keyOf: (i) => i.key,
      write: async () => [1],
    });
    const first = group.submit(item("a", 1));
    const [b, c] = [group.submit(item("b", 2)), group.submit(item("c", 3))];
    expect(await first).toBe(1);
    await expect(b).rejects.toThrow("returned 1 results for a batch of 2");
    await expect(c).rejects.toThrow("returned 1 results for a batch of 2");
  });
});
