import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { EventRecorder, type EventSink } from "./events.js";

function collectingSink(
  fail = false,
): EventSink & { events: { namespace: string; body: Record<string, unknown> }[] } {
  const events: { namespace: string; body: Record<string, unknown> }[] = [];
  return {
    events,
    async create(namespace, body) {
      if (fail) throw new Error("events API down");
      events.push({ namespace, body: body as Record<string, unknown> });
    },
  };
}

const ws = {
  apiVersion: "coditect.ai/v1alpha1",
  kind: "Workstation",
  metadata: { name: "a", namespace: "t", uid: "u1" },
};
const logger = pino({ level: "silent" });

describe("EventRecorder", () => {
  it("emits a transition once, however often it is recorded, and again after a change", async () => {
    const sink = collectingSink();
    const recorder = new EventRecorder(sink, "coditect-operator", new ManualClock(), logger);
    const starting = { type: "Normal" as const, reason: "Starting", message: "starting" };
    expect(recorder.record(ws, "Ready", starting)).toBe(true);
    for (let retry = 0; retry < 20; retry++) expect(recorder.record(ws, "Ready", starting)).toBe(false);
    recorder.record(ws, "Ready", { type: "Normal", reason: "Running", message: "up" });
    recorder.record(ws, "Ready", starting); // a real transition back
    await recorder.flush();
    expect(sink.events.map((e) => e.body.reason)).toEqual(["Starting", "Running", "Starting"]);
  });

  it("keeps slots apart and writes a complete core/v1 Event", async () => {
    const sink = collectingSink();
    const clock = new ManualClock("2026-05-01T10:00:00Z");
    const recorder = new EventRecorder(sink, "coditect-operator", clock, logger);
    recorder.record(ws, "Ready", { type: "Normal", reason: "Running", message: "up" });
    recorder.record(ws, "Licensed", { type: "Warning", reason: "LicenseRevoked", message: "revoked" });
    await recorder.flush();
    expect(sink.events).toHaveLength(2);
    expect(sink.events[1]).toMatchObject({
      namespace: "t",
      body: {
        apiVersion: "v1",
        kind: "Event",
        type: "Warning",
        reason: "LicenseRevoked",
        involvedObject: { kind: "Workstation", name: "a", namespace: "t", uid: "u1" },
        source: { component: "coditect-operator" },
        firstTimestamp: "2026-05-01T10:00:00.000Z",
        count: 1,
      },
    });
    expect((sink.events[0]!.body.metadata as { name: string }).name).toMatch(/^a\.[0-9a-f]{16}$/);
  });

  it("forget() lets a re-created object explain itself again; a failing sink never throws", async () => {
    const recorder = new EventRecorder(collectingSink(true), "op", new ManualClock(), logger);
    const event = { type: "Normal" as const, reason: "Running", message: "up" };
    expect(recorder.record(ws, "Ready", event)).toBe(true);
    await recorder.flush();
    recorder.forget(ws);
    expect(recorder.record(ws, "Ready", event)).toBe(true);
    await recorder.flush();
  });
});
