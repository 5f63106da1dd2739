import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { COMBINED_PREFIX, EventSeriesRecorder } from "./event-series.js";
import type { EventSink } from "./events.js";

type Write =
  | { op: "create"; namespace: string; body: Record<string, unknown> }
  | { op: "patch"; namespace: string; name: string; body: Record<string, unknown> };

/** An in-memory Events API: creates and merge-patches, optionally failing or forgetting Events. */
function memorySink() {
  const writes: Write[] = [];
  const stored = new Map<string, Record<string, unknown>>();
  let failing = 0;
  const sink: EventSink = {
    async create(namespace, body) {
      if (failing > 0 && failing--) throw new Error("events API down");
      const b = body as Record<string, unknown> & { metadata: { name: string } };
      writes.push({ op: "create", namespace, body: b });
      stored.set(b.metadata.name, { ...b });
    },
    async patch(namespace, name, body) {
      if (failing > 0 && failing--) throw new Error("events API down");
      writes.push({ op: "patch", namespace, name, body: body as Record<string, unknown> });
      const event = stored.get(name);
      if (!event) throw Object.assign(new Error("not found"), { code: 404 });
      Object.assign(event, body);
    },
  };
  return {
    sink,
    writes,
    stored,
    fail: (n: number) => {
      failing = n;
    },
  };
}

const license = {
  apiVersion: "coditect.ai/v1alpha1",
  kind: "License",
  metadata: { name: "lic-1", namespace: "acme", uid: "u-lic" },
};
const revoked = (session: string) => ({
  type: "Normal" as const,
  reason: "LicenseRevoked",
  message: `session ${session} terminated: license lic-1 is revoked`,
});
const logger = pino({ level: "silent" });

describe("EventSeriesRecorder", () => {
  it("writes 5,000 occurrences of one license and reason as one Event with count 5,000 in a handful of writes", async () => {
    const api = memorySink();
    const series = new EventSeriesRecorder(api.sink, "coditect-operator", new ManualClock(), logger, {
      flushIntervalMs: 5,
    });
    for (let i = 0; i < 5_000; i++) series.add(license, revoked(`cs-${i}`));
    await series.flush();
    expect(api.stored.size).toBe(1);
    const [event] = [...api.stored.values()];
    expect(event).toMatchObject({
      type: "Normal",
      reason: "LicenseRevoked",
      count: 5_000,
      message: `${COMBINED_PREFIX}session cs-4999 terminated: license lic-1 is revoked`,
      involvedObject: { kind: "License", name: "lic-1", namespace: "acme", uid: "u-lic" },
    });
    // The first occurrence is written at once, the rest coalesced: far fewer writes than occurrences.
    expect(api.writes.length).toBeLessThanOrEqual(3);
    expect(api.writes[0]).toMatchObject({ op: "create", body: { count: 1 } });
    expect(series.unwritten).toBe(0);
  });

  it("keeps reasons and objects apart; a single occurrence keeps its own message", async () => {
    const api = memorySink();
    const series = new EventSeriesRecorder(api.sink, "coditect-operator", new ManualClock(), logger);
    series.add(license, revoked("cs-1"));
    series.add(license, { type: "Warning", reason: "OverQuota", message: "session cs-2 terminated" });
    series.add({ ...license, metadata: { ...license.metadata, name: "lic-2", uid: "u-2" } }, revoked("cs-3"));
    await series.flush();
    expect([...api.stored.values()].map((e) => [e.reason, e.count, e.message])).toEqual([
      ["LicenseRevoked", 1, "session cs-1 terminated: license lic-1 is revoked"],
      ["OverQuota", 1, "session cs-2 terminated"],
      ["LicenseRevoked", 1, "session cs-3 terminated: license lic-1 is revoked"],
    ]);
  });

  it("counts occurrences while the Events API fails and writes the whole count once it answers", async () => {
    const api = memorySink();
    const series = new EventSeriesRecorder(api.sink, "coditect-operator", new ManualClock(), logger, {
      flushIntervalMs: 5,
    });
    api.fail(1);
    series.add(license, revoked("cs-1"));
    series.add(license, revoked("cs-2"));
    await series.flush();
    await series.flush();
    expect([...api.stored.values()].map((e) => e.count)).toEqual([2]);
  });

  it("starts the Event again with the whole count when it expired from the API server (404)", async () => {
    const api = memorySink();
    const series = new EventSeriesRecorder(api.sink, "coditect-operator", new ManualClock(), logger);
    series.add(license, revoked("cs-1"));
    await series.flush();
    api.stored.clear(); // Events' TTL
    series.add(license, revoked("cs-2"));
    await series.flush();
    expect([...api.stored.values()].map((e) => e.count)).toEqual([2]);
  });

  it("closes a series after it was idle, so a later revocation is a new Event", async () => {
    const api = memorySink();
    const clock = new ManualClock();
    const series = new EventSeriesRecorder(api.sink, "coditect-operator", clock, logger, {
      seriesIdleMs: 60_000,
    });
    series.add(license, revoked("cs-1"));
    await series.flush();
    clock.advance(61_000);
    series.add(license, revoked("cs-2"));
    await series.flush();
    expect([...api.stored.values()].map((e) => e.count)).toEqual([1, 1]);
  });

  it("writes nothing more once stopped (a crashed operator)", async () => {
    const api = memorySink();
    const series = new EventSeriesRecorder(api.sink, "coditect-operator", new ManualClock(), logger, {
      flushIntervalMs: 5,
    });
    series.add(license, revoked("cs-1"));
    await series.flush();
    series.stop();
    series.add(license, revoked("cs-2"));
    await series.flush();
    expect(api.writes).toHaveLength(1);
  });
});
