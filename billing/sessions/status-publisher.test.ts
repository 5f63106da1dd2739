/** The heartbeat status publisher (ADR 0270): coalesced per session, bounded, retried, forgotten on an end. */
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../test-support/wait.js";
import type { SessionStatusPatch } from "./cluster.js";
import { SessionStatusPublisher } from "./status-publisher.js";
import { statusPublisherMetrics } from "./status-publisher-metrics.js";

const quiet = pino({ level: "silent" });

function recorder(fail: (key: string) => boolean = () => false) {
  const writes: { key: string; patch: SessionStatusPatch }[] = [];
  const write = async (key: string, patch: SessionStatusPatch) => {
    if (fail(key)) throw new Error("API unavailable");
    writes.push({ key, patch });
  };
  return { writes, write };
}

describe("SessionStatusPublisher", () => {
  it("coalesces a session's heartbeats into one write carrying the newest fields", async () => {
    const { writes, write } = recorder();
    const publisher = new SessionStatusPublisher<string>(write, quiet, { flushIntervalMs: 60_000 });
    publisher.record("a", "a", { lastHeartbeatTime: "t1", lastReport: { cpuPercent: 1 } });
    publisher.record("b", "b", { lastHeartbeatTime: "t1" });
    publisher.record("a", "a", { lastHeartbeatTime: "t2", expiresAt: "e2" });
    expect(publisher.pending).toBe(2);
    await publisher.flush();
    expect(writes).toHaveLength(2);
    expect(writes.find((w) => w.key === "a")!.patch).toEqual({
      lastHeartbeatTime: "t2",
      expiresAt: "e2",
      lastReport: { cpuPercent: 1 },
    });
    expect(publisher.stats).toMatchObject({ recorded: 3, coalesced: 1, written: 2, dropped: 0 });
    expect(publisher.pending).toBe(0);
  });

  it("holds at most maxPending sessions: the least recently recorded is dropped first", async () => {
    const { writes, write } = recorder();
    const publisher = new SessionStatusPublisher<string>(write, quiet, { maxPending: 3 });
    for (const key of ["a", "b", "c"]) publisher.record(key, key, { lastHeartbeatTime: key });
    publisher.record("a", "a", { lastHeartbeatTime: "a2" }); // a is now the most recent
    publisher.record("d", "d", { lastHeartbeatTime: "d" }); // drops b
    expect(publisher.pending).toBe(3);
    expect(publisher.stats.dropped).toBe(1);
    await publisher.flush();
    expect(writes.map((w) => w.key).sort()).toEqual(["a", "c", "d"]);
  });

  it("keeps a failed write for the next flush unless a newer heartbeat replaced it", async () => {
    let down = true;
    const { writes, write } = recorder(() => down);
    const publisher = new SessionStatusPublisher<string>(write, quiet);
    publisher.record("a", "a", { lastHeartbeatTime: "t1" });
    publisher.record("b", "b", { lastHeartbeatTime: "t1" });
    await publisher.flush();
    expect(writes).toEqual([]);
    expect(publisher.stats.failed).toBe(2);
    expect(publisher.pending).toBe(2);
    publisher.record("b", "b", { lastHeartbeatTime: "t2" });
    down = false;
    await publisher.flush();
    expect(writes.map((w) => [w.key, w.patch.lastHeartbeatTime]).sort()).toEqual([
      ["a", "t1"],
      ["b", "t2"],
    ]);
  });

  it("forgets a session whose state changed, so no heartbeat follows its end", async () => {
    const { writes, write } = recorder();
    const publisher = new SessionStatusPublisher<string>(write, quiet);
    publisher.record("a", "a", { lastHeartbeatTime: "t1" });
    publisher.forget("a");
    await publisher.stop();
    expect(writes).toEqual([]);
  });

  it("flushes on its timer", async () => {
    const { writes, write } = recorder();
    const publisher = new SessionStatusPublisher<string>(write, quiet, { flushIntervalMs: 20 });
    publisher.start();
    publisher.record("a", "a", { lastHeartbeatTime: "t1" });
    await waitFor("the timer's flush", () => writes.length > 0);
    await publisher.stop();
    expect(writes).toHaveLength(1);
  });

  it("stop() waits for running creations, retries failed ones once and writes every pending status (ADR 0302)", async () => {
    const { writes, write } = recorder();
    const publisher = new SessionStatusPublisher<string>(write, quiet, { flushIntervalMs: 60_000 });
    publisher.start();
    let release!: () => void;
    const created: string[] = [];
    publisher.project("slow", async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      created.push("slow");
    });
    let attempts = 0;
    publisher.project("flaky", async () => {
      attempts += 1;
      if (attempts === 1) throw new Error("API unavailable");
      created.push("flaky");
    });
    publisher.record("a", "a", { lastHeartbeatTime: "t1" });
    const stopped = publisher.stop();
    setTimeout(() => release(), 20);
    await stopped;
    expect(created.sort()).toEqual(["flaky", "slow"]);
    expect(writes).toEqual([{ key: "a", patch: { lastHeartbeatTime: "t1" } }]);
    expect(publisher.pending).toBe(0);
    expect(publisher.unprojected).toBe(0);
  });

  it("counts written, failed and dropped on /metrics and reports what is pending while it runs", async () => {
    const registry = new Registry();
    let down = true;
    const { write } = recorder(() => down);
    const publisher = new SessionStatusPublisher<string>(
      write,
      quiet,
      { flushIntervalMs: 60_000, maxPending: 2 },
      statusPublisherMetrics(registry),
    );
    // A second publisher on the same registry (two routers of one app) shares the metrics.
    const other = new SessionStatusPublisher<string>(write, quiet, {}, statusPublisherMetrics(registry));
    publisher.start();
    other.start();
    for (const key of ["a", "b", "c"]) publisher.record(key, key, { lastHeartbeatTime: "t1" });
    other.record("z", "z", { lastHeartbeatTime: "t1" });
    const value = async (name: string, kind?: string) =>
      (await registry.getSingleMetric(name)!.get()).values.find(
        (v) => kind === undefined || v.labels.kind === kind,
      )?.value;
    expect(await value("billing_session_status_pending", "status")).toBe(3);
    expect(await value("billing_session_status_dropped_total")).toBe(1);
    await publisher.flush(); // the API is down: both writes fail and stay queued
    expect(await value("billing_session_status_failed_total")).toBe(2);
    down = false;
    await publisher.stop();
    await other.stop();
    expect(await value("billing_session_status_flushed_total")).toBe(3);
    expect(await value("billing_session_status_pending", "status")).toBe(0);
  });
});
