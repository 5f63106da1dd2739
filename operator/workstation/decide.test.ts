import { describe, expect, it } from "vitest";
import type { Condition, License, Workstation, WorkstationStatus } from "../../crds/types.js";
import { MANAGED_BY_BILLING, MANAGED_BY_LABEL } from "../../lib/domain.js";
import { findCondition } from "../conditions.js";
import {
  type CloudObservation,
  type CloudWorkstation,
  DEFAULT_POLICY,
  decideWorkstation,
  WORKSTATION_FINALIZER,
  type WorkstationDecision,
  type WorkstationPolicy,
} from "./decide.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const DAY = 86_400_000;
const policy: WorkstationPolicy = { ...DEFAULT_POLICY, tierConfigs: { standard: "cfg-standard" } };
const NAME =
  "projects/p/locations/us-central1/workstationClusters/c/workstationConfigs/cfg-standard/workstations/ws-1";

function ws(
  overrides: { spec?: Partial<Workstation["spec"]>; status?: WorkstationStatus; meta?: object } = {},
) {
  return {
    metadata: {
      name: "alice",
      namespace: "acme",
      generation: 1,
      finalizers: [WORKSTATION_FINALIZER],
      ...overrides.meta,
    },
    spec: { licenseRef: { name: "lic" }, user: "alice@acme.test", tier: "standard", ...overrides.spec },
    ...(overrides.status ? { status: overrides.status } : {}),
  } as Workstation;
}

function license(spec: Partial<License["spec"]> = {}): License {
  return {
    metadata: { name: "lic", namespace: "acme", labels: { [MANAGED_BY_LABEL]: MANAGED_BY_BILLING } },
    spec: {
      licenseId: "L1",
      organization: "acme",
      tier: "pro",
      maxContainers: 5,
      seats: 1,
      expiresAt: "2026-12-31T00:00:00Z",
      provisioningType: "paid",
      state: "active",
      ...spec,
    },
  };
}

const cloud = (
  state: CloudWorkstation["state"] | null,
  extra: Partial<CloudObservation> = {},
): CloudObservation => ({
  workstation: state
    ? {
        name: NAME,
        state,
        labels: { "coditect-namespace": "acme", "coditect-name": "alice" },
        ...(state === "STATE_RUNNING" ? { host: "ws-1.example" } : {}),
      }
    : null,
  ...extra,
});

function cond(d: WorkstationDecision, type: string): Condition | undefined {
  return findCondition(d.status?.conditions, type);
}

const ready = (since: string, generation = 1): Condition => ({
  type: "Ready",
  status: "True",
  reason: "Running",
  message: "",
  lastTransitionTime: since,
  observedGeneration: generation,
});

describe("decideWorkstation: actions", () => {
  const cases: {
    name: string;
    ws: Workstation;
    license: License | null;
    cloud: CloudObservation;
    actions: string[];
    ready?: string;
    requeue?: "poll" | "none" | "observe" | number;
  }[] = [
    {
      name: "adds the finalizer before any cloud call",
      ws: ws({ meta: { finalizers: [] } }),
      license: license(),
      cloud: cloud(null),
      actions: ["AddFinalizer"],
      requeue: 0,
    },
    {
      name: "creates a missing workstation from the tier's config",
      ws: ws(),
      license: license(),
      cloud: cloud(null),
      actions: ["Create"],
      ready: "Creating",
      requeue: "poll",
    },
    {
      name: "does not create without an entitling license",
      ws: ws(),
      license: license({ state: "revoked" }),
      cloud: cloud(null),
      actions: [],
      ready: "LicenseRevoked",
      requeue: "none",
    },
    {
      name: "does not create when the License is missing",
      ws: ws(),
      license: null,
      cloud: cloud(null),
      actions: [],
      ready: "LicenseNotFound",
    },
    {
      name: "a tier without a configured config is terminal, not retried",
      ws: ws({ spec: { tier: "ai" } }),
      license: license(),
      cloud: cloud(null),
      actions: [],
      ready: "ConfigNotFound",
      requeue: "none",
    },
    {
      name: "waits for a recorded operation without starting another",
      ws: ws({ status: { operation: { name: "op-1", kind: "Create", startedAt: NOW.toISOString() } } }),
      license: license(),
      cloud: cloud("STATE_STOPPED", { operation: { done: false } }),
      actions: [],
      ready: "Creating",
      requeue: "poll",
    },
    {
      name: "a finished create is followed by a start and the access grant",
      ws: ws({
        status: {
          state: "NotFound",
          operation: { name: "op-1", kind: "Create", startedAt: NOW.toISOString() },
        },
      }),
      license: license(),
      cloud: cloud("STATE_STOPPED", { operation: { done: true } }),
      actions: ["GrantAccess", "Start"],
      ready: "Starting",
      requeue: "poll",
    },
    {
      name: "a failed operation becomes a condition and a later retry",
      ws: ws({ status: { operation: { name: "op-1", kind: "Start", startedAt: NOW.toISOString() } } }),
      license: license(),
      cloud: cloud("STATE_STOPPED", { operation: { done: true, error: "quota" } }),
      actions: [],
      ready: "OperationFailed",
      requeue: DEFAULT_POLICY.operationRetryMs,
    },
    {
      name: "running, licensed, access granted: Ready, re-observed later",
      ws: ws({
        status: { state: "STATE_RUNNING", accessGrantedTo: "alice@acme.test", observedGeneration: 1 },
      }),
      license: license(),
      cloud: cloud("STATE_RUNNING"),
      actions: [],
      ready: "Running",
      requeue: "observe",
    },
    {
      name: "desiredState Stopped stops a running workstation",
      ws: ws({ spec: { desiredState: "Stopped" }, status: { accessGrantedTo: "alice@acme.test" } }),
      license: license(),
      cloud: cloud("STATE_RUNNING"),
      actions: ["Stop"],
      ready: "Stopping",
    },
    {
      name: "a revoked license removes access and stops",
      ws: ws({ status: { state: "STATE_RUNNING", accessGrantedTo: "alice@acme.test" } }),
      license: license({ state: "revoked" }),
      cloud: cloud("STATE_RUNNING"),
      actions: ["RevokeAccess", "Stop"],
      ready: "Stopping",
    },
    {
      name: "a suspended license keeps a stopped workstation stopped",
      ws: ws({ status: { state: "STATE_STOPPED" } }),
      license: license({ state: "suspended" }),
      cloud: cloud("STATE_STOPPED"),
      actions: [],
      ready: "StoppedByLicense",
    },
    {
      name: "a pastDue license still entitles",
      ws: ws({ status: { state: "STATE_STOPPED", accessGrantedTo: "alice@acme.test" } }),
      license: license({ state: "pastDue" }),
      cloud: cloud("STATE_STOPPED"),
      actions: ["Start"],
    },
    {
      name: "an active license past its expiresAt counts as expired",
      ws: ws({ status: { accessGrantedTo: "alice@acme.test" } }),
      license: license({ expiresAt: "2026-02-28T00:00:00Z" }),
      cloud: cloud("STATE_RUNNING"),
      actions: ["RevokeAccess", "Stop"],
    },
    {
      name: "a license expired more than 7 days ago deletes the workstation",
      ws: ws({ status: { state: "STATE_STOPPED" } }),
      license: license({ state: "expired", expiresAt: new Date(NOW.getTime() - 8 * DAY).toISOString() }),
      cloud: cloud("STATE_STOPPED"),
      actions: ["Delete"],
      ready: "DeletedAfterLicenseExpiry",
    },
    {
      name: "a license expired 6 days ago only stops, and requeues at the deadline",
      ws: ws({ status: { state: "STATE_STOPPED" } }),
      license: license({ state: "expired", expiresAt: new Date(NOW.getTime() - 6 * DAY).toISOString() }),
      cloud: cloud("STATE_STOPPED"),
      actions: [],
      ready: "StoppedByLicense",
      requeue: DEFAULT_POLICY.observeIntervalMs,
    },
    {
      name: "a changed user moves access",
      ws: ws({ spec: { user: "bob@acme.test" }, status: { accessGrantedTo: "alice@acme.test" } }),
      license: license(),
      cloud: cloud("STATE_RUNNING"),
      actions: ["RevokeAccess", "GrantAccess"],
    },
    {
      name: "an unassigned workstation (no spec.user) revokes the previous user's access and grants nobody",
      ws: ws({ spec: { user: undefined }, status: { accessGrantedTo: "alice@acme.test" } }),
      license: license(),
      cloud: { ...cloud("STATE_RUNNING"), accessHolders: ["alice@acme.test"] },
      actions: ["RevokeAccess"],
    },
    {
      name: "a binding whose record was lost (crash after the grant, then a user change) is revoked",
      ws: ws({ spec: { user: "bob@acme.test" }, status: {} }),
      license: license(),
      cloud: { ...cloud("STATE_RUNNING"), accessHolders: ["alice@acme.test"] },
      actions: ["RevokeAccess", "GrantAccess"],
    },
    {
      name: "an unrecorded binding of the right user is kept (no second grant)",
      ws: ws({ status: {} }),
      license: license(),
      cloud: { ...cloud("STATE_RUNNING"), accessHolders: ["alice@acme.test"] },
      actions: [],
      ready: "Running",
    },
    {
      name: "GCP transitional state without our operation: look again soon",
      ws: ws({ status: { accessGrantedTo: "alice@acme.test" } }),
      license: license(),
      cloud: cloud("STATE_STARTING"),
      actions: [],
      ready: "Starting",
      requeue: "poll",
    },
    {
      name: "an out-of-band delete in progress is waited for",
      ws: ws(),
      license: license(),
      cloud: cloud("STATE_DELETING"),
      actions: [],
      ready: "WaitingForCloud",
      requeue: "poll",
    },
    {
      name: "deleting the resource deletes the workstation",
      ws: ws({ meta: { deletionTimestamp: NOW.toISOString() } }),
      license: license(),
      cloud: cloud("STATE_RUNNING"),
      actions: ["Delete"],
      ready: "Deleting",
    },
    {
      name: "deleting: NOT_FOUND means done, the finalizer goes",
      ws: ws({ meta: { deletionTimestamp: NOW.toISOString() } }),
      license: license(),
      cloud: cloud(null),
      actions: ["RemoveFinalizer"],
    },
    {
      name: "deleting with the Abandon annotation keeps the workstation",
      ws: ws({
        meta: {
          deletionTimestamp: NOW.toISOString(),
          annotations: { "coditect.ai/deletion-policy": "Abandon" },
        },
      }),
      license: license(),
      cloud: cloud("STATE_RUNNING"),
      actions: ["RemoveFinalizer"],
    },
    {
      name: "deleting waits for an operation in flight",
      ws: ws({
        meta: { deletionTimestamp: NOW.toISOString() },
        status: { operation: { name: "op", kind: "Create", startedAt: NOW.toISOString() } },
      }),
      license: license(),
      cloud: cloud("STATE_STOPPED", { operation: { done: false } }),
      actions: [],
      requeue: "poll",
    },
    {
      name: "deleting without our finalizer does nothing",
      ws: ws({ meta: { deletionTimestamp: NOW.toISOString(), finalizers: ["other"] } }),
      license: license(),
      cloud: cloud("STATE_RUNNING"),
      actions: [],
      requeue: "none",
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const d = decideWorkstation(c.ws, c.license, c.cloud, NOW, policy);
      expect(d.actions.map((a) => a.type)).toEqual(c.actions);
      if (c.ready) expect(cond(d, "Ready")?.reason).toBe(c.ready);
      const expected =
        c.requeue === "poll"
          ? policy.operationPollMs
          : c.requeue === "observe"
            ? policy.observeIntervalMs
            : c.requeue === "none"
              ? undefined
              : c.requeue;
      if (c.requeue !== undefined) expect(d.requeueAfterMs).toBe(expected);
    });
  }
});

describe("decideWorkstation: the idle-stop rule", () => {
  const lic = license();
  const runningSince = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

  it("GCP stopping a workstation we saw running for a while is idleness: not restarted", () => {
    const w = ws({
      status: {
        state: "STATE_RUNNING",
        observedGeneration: 1,
        accessGrantedTo: "alice@acme.test",
        conditions: [ready(runningSince(45 * 60_000))],
      },
    });
    const d = decideWorkstation(w, lic, cloud("STATE_STOPPED"), NOW, policy);
    expect(d.actions).toEqual([]);
    expect(cond(d, "Ready")).toMatchObject({ status: "False", reason: "StoppedForIdleness" });
    // and the next pass keeps respecting it
    const again = decideWorkstation({ ...w, status: d.status! }, lic, cloud("STATE_STOPPED"), NOW, policy);
    expect(again.actions).toEqual([]);
  });

  it("a stop right after we started it is a failed start: started again", () => {
    const w = ws({
      status: {
        state: "STATE_RUNNING",
        observedGeneration: 1,
        accessGrantedTo: "alice@acme.test",
        conditions: [ready(runningSince(60_000))],
      },
    });
    expect(decideWorkstation(w, lic, cloud("STATE_STOPPED"), NOW, policy).actions).toEqual([
      { type: "Start" },
    ]);
  });

  it("a new generation (the user asks again) starts an idle-stopped workstation", () => {
    const w = ws({
      meta: { generation: 2 },
      status: {
        state: "STATE_STOPPED",
        observedGeneration: 1,
        accessGrantedTo: "alice@acme.test",
        conditions: [{ ...ready(runningSince(DAY)), status: "False", reason: "StoppedForIdleness" }],
      },
    });
    expect(decideWorkstation(w, lic, cloud("STATE_STOPPED"), NOW, policy).actions).toEqual([
      { type: "Start" },
    ]);
  });

  it("a license that entitles again restarts a workstation the license had stopped", () => {
    const w = ws({
      status: {
        state: "STATE_STOPPED",
        observedGeneration: 1,
        licenseLapsedAt: runningSince(DAY),
        conditions: [{ ...ready(runningSince(DAY)), status: "False", reason: "StoppedByLicense" }],
      },
    });
    const d = decideWorkstation(w, lic, cloud("STATE_STOPPED"), NOW, policy);
    expect(d.actions.map((a) => a.type)).toEqual(["GrantAccess", "Start"]);
    expect(d.status?.licenseLapsedAt).toBeUndefined();
  });
});

describe("decideWorkstation: status", () => {
  it("reports host, access URL, external name, generation and all four conditions", () => {
    const w = ws({ meta: { generation: 3 }, status: { accessGrantedTo: "alice@acme.test" } });
    const d = decideWorkstation(w, license(), cloud("STATE_RUNNING"), NOW, policy);
    expect(d.status).toMatchObject({
      externalRef: NAME,
      state: "STATE_RUNNING",
      host: "ws-1.example",
      accessUrl: "https://ws-1.example",
      observedGeneration: 3,
      accessGrantedTo: "alice@acme.test",
    });
    expect(d.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Licensed", "True", "LicenseActive"],
      ["Provisioned", "True", "Provisioned"],
      ["AccessGranted", "True", "AccessGranted"],
      ["Ready", "True", "Running"],
    ]);
  });

  it("keeps lastTransitionTime when a condition is restated, moves it on a status change", () => {
    const earlier = "2026-02-01T00:00:00.000Z";
    const w = ws({ status: { accessGrantedTo: "alice@acme.test", conditions: [ready(earlier)] } });
    const same = decideWorkstation(w, license(), cloud("STATE_RUNNING"), NOW, policy);
    expect(cond(same, "Ready")?.lastTransitionTime).toBe(earlier);
    const changed = decideWorkstation(w, license({ state: "revoked" }), cloud("STATE_RUNNING"), NOW, policy);
    expect(cond(changed, "Ready")?.lastTransitionTime).toBe(NOW.toISOString());
  });

  it("records when the license lapsed and keeps the first time", () => {
    const first = decideWorkstation(
      ws(),
      license({ state: "suspended" }),
      cloud("STATE_STOPPED"),
      NOW,
      policy,
    );
    expect(first.status?.licenseLapsedAt).toBe(NOW.toISOString());
    const later = new Date(NOW.getTime() + DAY);
    const w = ws({ status: first.status! });
    const second = decideWorkstation(
      w,
      license({ state: "suspended" }),
      cloud("STATE_STOPPED"),
      later,
      policy,
    );
    expect(second.status?.licenseLapsedAt).toBe(NOW.toISOString());
  });

  it("requeues at the license expiry when that comes before the regular look", () => {
    const soon = new Date(NOW.getTime() + 60_000).toISOString();
    const w = ws({ status: { accessGrantedTo: "alice@acme.test" } });
    const d = decideWorkstation(w, license({ expiresAt: soon }), cloud("STATE_RUNNING"), NOW, policy);
    expect(d.requeueAfterMs).toBe(60_000);
  });

  it("forgets the access holder when the workstation is gone", () => {
    const w = ws({ status: { accessGrantedTo: "alice@acme.test", externalRef: NAME } });
    const d = decideWorkstation(w, license(), cloud(null), NOW, policy);
    expect(d.status?.accessGrantedTo).toBeUndefined();
    expect(d.status?.state).toBe("NotFound");
  });
});

describe("a workstation under our id that is not ours", () => {
  const foreign = (state: CloudWorkstation["state"], labels: Record<string, string>): CloudObservation => ({
    workstation: { name: NAME, state, labels, host: "someone-elses.example" },
  });

  it.each([
    ["no owner labels", {}],
    ["another resource's labels", { "coditect-namespace": "acme", "coditect-name": "bob" }],
    ["another namespace's labels", { "coditect-namespace": "initech", "coditect-name": "alice" }],
  ])("with %s is neither adopted, started, granted nor reported", (_, labels) => {
    const d = decideWorkstation(ws(), license(), foreign("STATE_STOPPED", labels), NOW, policy);
    expect(d.actions).toEqual([]);
    expect(cond(d, "Provisioned")).toMatchObject({ status: "False", reason: "WorkstationIdConflict" });
    expect(cond(d, "Ready")).toMatchObject({ status: "False", reason: "WorkstationIdConflict" });
    expect(d.status).not.toHaveProperty("externalRef");
    expect(d.status).not.toHaveProperty("host");
    expect(d.requeueAfterMs).toBe(policy.operationRetryMs);
  });

  it("is not deleted when the resource is: only our finalizer goes", () => {
    const deleting = ws({ meta: { deletionTimestamp: "2026-03-01T11:00:00Z" } });
    const d = decideWorkstation(deleting, license(), foreign("STATE_RUNNING", {}), NOW, policy);
    expect(d.actions).toEqual([{ type: "RemoveFinalizer" }]);
  });

  it("is ours when the labels match, even for names GCP labels cannot hold verbatim", () => {
    const dotted = ws({ meta: { name: "alice.dev" } });
    const labels = { "coditect-namespace": "acme", "coditect-name": "alice_dev" };
    const d = decideWorkstation(dotted, license(), foreign("STATE_RUNNING", labels), NOW, policy);
    expect(cond(d, "Provisioned")).not.toMatchObject({ reason: "WorkstationIdConflict" });
    expect(d.status?.externalRef).toBe(NAME);
  });
});

describe("decideWorkstation: a missing License is unknown, not revoked (cluster objects lost)", () => {
  const running = ws({
    status: {
      observedGeneration: 1,
      state: "STATE_RUNNING",
      externalRef: NAME,
      accessGrantedTo: "alice@acme.test",
      conditions: [ready("2026-03-01T08:00:00Z")],
    },
  });
  const actionsOf = (d: WorkstationDecision) => d.actions.map((a) => a.type);

  it("within the grace: no stop, no revoke, Licensed=Unknown (LicenseNotFound), a look at the grace's end", () => {
    const d = decideWorkstation(running, null, cloud("STATE_RUNNING"), NOW, {
      ...policy,
      observeIntervalMs: DAY,
    });
    expect(actionsOf(d)).toEqual([]);
    expect(cond(d, "Licensed")).toMatchObject({ status: "Unknown", reason: "LicenseNotFound" });
    expect(cond(d, "Ready")?.status).toBe("True");
    expect(d.status?.accessGrantedTo).toBe("alice@acme.test");
    expect(d.status?.licenseLapsedAt).toBe(NOW.toISOString());
    expect(d.requeueAfterMs).toBe(policy.licenseMissingGraceMs);
  });

  it("within the grace a stopped workstation is not started and a missing one is not created", () => {
    const stopped = decideWorkstation(running, null, cloud("STATE_STOPPED"), NOW, policy);
    expect(actionsOf(stopped)).toEqual([]);
    const absent = decideWorkstation(ws(), null, cloud(null), NOW, policy);
    expect(actionsOf(absent)).toEqual([]);
  });

  it("after the grace the missing License stops the workstation and revokes access, as before", () => {
    const lapsedAt = new Date(NOW.getTime() - policy.licenseMissingGraceMs - 1).toISOString();
    const missingLong = ws({ status: { ...running.status, licenseLapsedAt: lapsedAt } });
    const d = decideWorkstation(missingLong, null, cloud("STATE_RUNNING"), NOW, policy);
    expect(actionsOf(d)).toEqual(["RevokeAccess", "Stop"]);
    expect(cond(d, "Licensed")).toMatchObject({ status: "False", reason: "LicenseNotFound" });
  });

  it("a License that reappears finds the workstation untouched and clears the lapse", () => {
    const missing = ws({ status: { ...running.status, licenseLapsedAt: NOW.toISOString() } });
    const d = decideWorkstation(missing, license(), cloud("STATE_RUNNING"), NOW, policy);
    expect(actionsOf(d)).toEqual([]);
    expect(cond(d, "Licensed")?.status).toBe("True");
    expect(d.status?.licenseLapsedAt).toBeUndefined();
  });
});
