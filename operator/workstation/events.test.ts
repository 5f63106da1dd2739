/**
 * Events of one buy-and-revoke (issue 12 item 14): routine condition changes of one status write are one
 * Normal Event, not one per condition, so `kubectl describe ws` reads as a short story.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conditionOf, eventually, type Harness, startHarness, TEST_POLICY } from "../testing/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.startOperator({ policy: { ...TEST_POLICY, observeIntervalMs: 300 } });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

async function eventsOf(namespace: string, name: string) {
  const list = await h.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items
    .sort((a, b) =>
      String(a.eventTime ?? a.firstTimestamp).localeCompare(String(b.eventTime ?? b.firstTimestamp)),
    )
    .map((e) => `${e.type} ${e.reason}: ${e.message}`);
}

describe("Workstation Events", { timeout: 90_000 }, () => {
  it("a buy and a revocation tell their story in a handful of Events", async () => {
    const namespace = await h.tenant();
    await h.createWorkstation(namespace, "ws-story");
    await eventually(
      "Running",
      async () => (await h.getWorkstation(namespace, "ws-story"))?.status?.phase === "Running",
    );
    await h.patchLicense(namespace, { state: "revoked" });
    await eventually("stopped and access revoked", async () => {
      const ws = await h.getWorkstation(namespace, "ws-story");
      return ws?.status?.phase === "Stopped" && conditionOf(ws, "AccessGranted")?.status === "False";
    });
    const events = await eventually("events flushed", async () => {
      const list = await eventsOf(namespace, "ws-story");
      // Emission is fire-and-forget: wait for the first and the last step's Events to land.
      const landed = ["Normal Creating:", "Warning StoppedByLicense:"].every((p) =>
        list.some((e) => e.startsWith(p)),
      );
      return landed && list;
    });
    // One Event per status write that changed conditions (it was one per condition: twelve here):
    // Creating, Starting, Running, LicenseRevoked, StoppedByLicense.
    expect(events.length, events.join("\n")).toBeLessThanOrEqual(6);
    expect(events.find((e) => e.startsWith("Normal Creating:"))).toContain("Licensed=True (LicenseActive)");
    const revocation = events.find((e) => e.startsWith("Warning LicenseRevoked:"));
    expect(revocation).toContain("Licensed=False (LicenseRevoked)");
    expect(events.filter((e) => e.startsWith("Normal Running:"))).toHaveLength(1);
  });
});
