/**
 * Issue 18 goal 3 (operator side): a revoked License ends each of its live sessions with ONE API write
 * (the guarded status patch) and records the ends as one Event series on the License (reason
 * LicenseRevoked, with a count), not an Event and an annotation per session. Against the API test server.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, Watch } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../crds/load.js";
import {
  type ContainerSession,
  ContainerSessionResource,
  type License,
  LicenseResource,
} from "../../crds/types.js";
import { systemClock } from "../../lib/clock.js";
import type { KubeClient } from "../../lib/kube/client.js";
import { type KubeApiServer, startKubeApiServer } from "../../test-support/kube-apiserver/index.js";
import { waitFor } from "../../test-support/wait.js";
import { Manager } from "../runtime/manager.js";
import { operatorKubeClient } from "../testing/kube-client.js";
import { createSessionFleet, revokeLicense } from "../testing/session-fleet.js";
import { registerContainerSessionControllers } from "./register.js";

const SESSIONS = 40;
let kube: KubeApiServer;
let kc: KubeConfig;
/** The operator's own client (lib/kube); `kc` stays the independent one that checks the server. */
let opKube: KubeClient;
let manager: Manager;

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
  kc = kube.kubeConfig();
  opKube = operatorKubeClient(kube);
});
afterAll(async () => {
  await manager?.stop();
  await opKube?.close();
  await kube?.stop();
});

describe("revocation fan-out", () => {
  it("ends every session with one write and one counted License Event instead of an Event per session", async () => {
    const fleet = await createSessionFleet(kc, "fanout", SESSIONS);
    manager = new Manager({
      kubeClient: opKube,
      clock: systemClock,
      logger: pino({ level: "silent" }),
      leaderElection: false,
    });
    const { sessions, licenses } = registerContainerSessionControllers(manager, {
      clock: systemClock,
      logger: pino({ level: "silent" }),
    });
    await manager.start();
    await waitFor(
      "License counts every session",
      () => licenses.get("fanout/lic")?.status?.activeSessions === SESSIONS,
    );

    const queue = manager.controllers.find((c) => c.name === "containersession")!.queue;
    // The first pass over each live session writes its conditions; wait for those before counting.
    await waitFor(
      "first passes done",
      () =>
        fleet.sessionNames.every((n) => sessions.get(`fanout/${n}`)?.status?.conditions) &&
        queue.depth === 0 &&
        queue.inFlight === 0,
    );
    // Every write to a session from here on is a MODIFIED watch event with a new resourceVersion.
    const api = kc.makeApiClient(CustomObjectsApi);
    const { group, version, plural } = ContainerSessionResource;
    const listed = (await api.listNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: "fanout",
    })) as {
      metadata: { resourceVersion: string };
    };
    const writes = new Map<string, string[]>();
    const watch = await new Watch(kc).watch(
      `/apis/${group}/${version}/namespaces/fanout/${plural}`,
      { resourceVersion: listed.metadata.resourceVersion },
      (type, obj: ContainerSession) => {
        if (type !== "MODIFIED") return;
        const name = obj.metadata!.name!;
        writes.set(name, [...(writes.get(name) ?? []), obj.metadata!.resourceVersion!]);
      },
      () => undefined,
    );
    try {
      await revokeLicense(kc, fleet);
      await waitFor("every session terminated", () =>
        fleet.sessionNames.every((n) => sessions.get(`fanout/${n}`)?.status?.state === "terminated"),
      );
      await waitFor("activeSessions = 0", () => licenses.get("fanout/lic")?.status?.activeSessions === 0);
      // Idle: each session's pass after its end (the retention check) ran too.
      await waitFor(
        "session controller idle",
        () => queue.depth === 0 && queue.inFlight === 0 && manager.eventSeries.unwritten === 0,
      );
      await manager.eventSeries.flush();

      const now = (await api.listNamespacedCustomObject({ group, version, plural, namespace: "fanout" })) as {
        items: ContainerSession[];
      };
      await waitFor("the watch saw every end", () => now.items.every((s) => writes.has(s.metadata!.name!)));
      for (const s of now.items) {
        expect(s.status?.reason).toBe("LicenseRevoked");
        // One write: the watch saw one change, and it is the object's current version.
        expect(writes.get(s.metadata!.name!)).toEqual([s.metadata!.resourceVersion]);
        expect(s.metadata?.annotations ?? {}).toEqual({});
      }

      const events = (await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: "fanout" })).items;
      expect(events.filter((e) => e.involvedObject.kind === "ContainerSession")).toEqual([]);
      const onLicense = events.filter(
        (e) => e.involvedObject.kind === "License" && e.reason === "LicenseRevoked",
      );
      expect(onLicense).toHaveLength(1);
      // The License's own Ready transition and each session it ended, as one series.
      expect(onLicense[0]?.count).toBe(SESSIONS + 1);
      const license = (await api.getNamespacedCustomObject({
        group: LicenseResource.group,
        version: LicenseResource.version,
        plural: LicenseResource.plural,
        namespace: "fanout",
        name: "lic",
      })) as License;
      expect(license.status?.activeSessions).toBe(0);
    } finally {
      watch.abort();
    }
  });
});
