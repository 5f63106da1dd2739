/**
 * Workstation routes through the real billing app, real PostgreSQL and the Kubernetes API test server: who
 * may list, assign, unassign, start and stop; the Workstation resource follows the row (spec.user,
 * desiredState); the live state comes from the resource's status; removal (delete_after); and the
 * workstation-ready email, once per (workstation, assignee). That the operator then moves IAM access on the
 * fake Workstations API is proven in operator/workstation/lifecycle.test.ts ("changing spec.user …").
 */
import * as k8s from "@kubernetes/client-node";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_DIR } from "../../../crds/load.js";
import { type Workstation, WorkstationResource } from "../../../crds/types.js";
import { type KubeApiServer, startKubeApiServer } from "../../../test-support/kube-apiserver/index.js";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { callAs, grantLicense } from "../seats/testing.js";
import { PEOPLE, type TestOrganization, testOrganization } from "../testing/organization.js";
import { signInForTest } from "../testing/sign-in.js";
import { scanReadyWorkstations } from "./ready.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const DAY = 86_400_000;

let kube: KubeApiServer;
let h: BillingHarness;
let custom: k8s.CustomObjectsApi;
let org: TestOrganization;

beforeAll(async () => {
  kube = await startKubeApiServer({ crdDirs: [CRD_DIR] });
  h = await startBillingHarness({ kubeConfig: kube.kubeConfig() });
  custom = kube.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  org = await testOrganization(h.pool, "wsco", h.clock.now());
});
afterAll(async () => {
  await h?.stop();
  await kube?.stop();
});

const call = (
  who: keyof TestOrganization["people"] | undefined,
  method: string,
  path: string,
  body?: unknown,
) => callAs(h.url, who ? org.people[who] : undefined, method, path, body);
const wsPath = (name: string, verb: string) => `/organizations/${org.slug}/workstations/${name}/${verb}`;
const api = {
  group: WorkstationResource.group,
  version: WorkstationResource.version,
  plural: WorkstationResource.plural,
};

async function resource(name: string): Promise<Workstation | null> {
  try {
    return (await custom.getNamespacedCustomObject({ ...api, namespace: org.slug, name })) as Workstation;
  } catch {
    return null;
  }
}
/** What the operator would write once the workstation runs with access for `user`. */
async function reportRunning(name: string, user: string) {
  await custom.patchNamespacedCustomObjectStatus(
    {
      ...api,
      namespace: org.slug,
      name,
      body: {
        status: {
          phase: "Running",
          state: "STATE_RUNNING",
          accessUrl: `https://${name}.ws.test`,
          accessGrantedTo: user,
        },
      },
    },
    mergePatch,
  );
}
async function licenseWithWorkstations(count: number) {
  const lic = await grantLicense(h.pool, h.clock.now(), {
    organization: org.slug,
    seats: 5,
    workstations: count,
  });
  await h.deps.kube!.syncLicense(lic.id);
  return lic;
}

describe("who may do what", () => {
  it("viewer+ list; admin+ assign and unassign; outsiders 404", async () => {
    const lic = await licenseWithWorkstations(1);
    const ws = lic.workstations[0]!;
    const list: Record<string, number> = { owner: 200, admin: 200, member: 200, viewer: 200, outsider: 404 };
    const change: Record<string, number> = {
      owner: 200,
      admin: 200,
      member: 403,
      viewer: 403,
      outsider: 404,
    };
    for (const who of PEOPLE) {
      const listed = await call(who, "GET", `/organizations/${org.slug}/workstations`);
      expect(listed.status, who).toBe(list[who]);
      const assigned = await call(who, "POST", wsPath(ws, "assign"), { userId: org.people.member.userId });
      expect(assigned.status, who).toBe(change[who]);
      expect((await call(who, "POST", wsPath(ws, "unassign"))).status, who).toBe(change[who]);
    }
    expect((await call(undefined, "GET", `/organizations/${org.slug}/workstations`)).status).toBe(401);
  });

  it("a member starts and stops only their own workstation; admin+ any; a viewer none", async () => {
    const lic = await licenseWithWorkstations(2);
    const [mine, theirs] = lic.workstations as [string, string];
    expect(
      (await call("admin", "POST", wsPath(mine, "assign"), { userId: org.people.member.userId })).status,
    ).toBe(200);
    expect(
      (await call("admin", "POST", wsPath(theirs, "assign"), { userId: org.people.admin.userId })).status,
    ).toBe(200);
    const stopMine = await call("member", "POST", wsPath(mine, "stop"));
    expect(stopMine.status).toBe(200);
    expect(stopMine.body).toMatchObject({ name: mine, desiredState: "Stopped" });
    expect((await call("member", "POST", wsPath(mine, "start"))).body.desiredState).toBe("Running");
    const refused = await call("member", "POST", wsPath(theirs, "stop"));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");
    expect((await call("viewer", "POST", wsPath(mine, "stop"))).status).toBe(403);
    expect((await call("outsider", "POST", wsPath(mine, "stop"))).status).toBe(404);
    expect((await call("owner", "POST", wsPath(theirs, "stop"))).status).toBe(200);
    expect((await resource(theirs))?.spec.desiredState).toBe("Stopped");
    const audit = await h.pool.query(
      "SELECT actor, action FROM audit_events WHERE license_id = $1 AND action LIKE 'workstation.%' ORDER BY id",
      [lic.id],
    );
    expect(audit.rows.map((r) => `${r.action} ${r.actor}`)).toEqual([
      "workstation.assigned account:admin@wsco.test",
      "workstation.assigned account:admin@wsco.test",
      "workstation.stopped account:member@wsco.test",
      "workstation.started account:member@wsco.test",
      "workstation.stopped account:owner@wsco.test",
    ]);
  });
});

describe("bad input is a 4xx naming the bad value and changes nothing", () => {
  it("refuses bad names, unknown or foreign workstations, bad bodies and non-members", async () => {
    const lic = await licenseWithWorkstations(1);
    const ws = lic.workstations[0]!;
    const foreign = await grantLicense(h.pool, h.clock.now(), {
      organization: "otherws",
      seats: 1,
      workstations: 1,
    });
    const stranger = await signInForTest(h.pool, "stranger@else.test", h.clock.now());
    const cases: [string, unknown, number, string, string?][] = [
      [
        wsPath("Bad_Name", "assign"),
        { userId: org.people.member.userId },
        400,
        "invalid_request",
        "Bad_Name",
      ],
      [
        wsPath("no-such-ws", "assign"),
        { userId: org.people.member.userId },
        404,
        "workstation_not_found",
        "no-such-ws",
      ],
      [
        wsPath(foreign.workstations[0]!, "assign"),
        { userId: org.people.member.userId },
        404,
        "workstation_not_found",
      ],
      [wsPath(ws, "assign"), {}, 400, "invalid_request", "userId"],
      [wsPath(ws, "assign"), { userId: "someone" }, 400, "invalid_request", "userId"],
      [wsPath(ws, "assign"), { userId: stranger.userId }, 404, "member_not_found", stranger.userId],
      [wsPath(ws, "start"), { now: true }, 400, "invalid_request", "now"],
      [wsPath(ws, "unassign"), { userId: org.people.member.userId }, 400, "invalid_request", "userId"],
    ];
    const before = await h.pool.query("SELECT * FROM provisioned_workstations ORDER BY name");
    for (const [path, body, status, code, named] of cases) {
      const res = await call("admin", "POST", path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.error.code).toBe(code);
      if (named) expect(res.body.error.message).toContain(named);
    }
    expect((await h.pool.query("SELECT * FROM provisioned_workstations ORDER BY name")).rows).toEqual(
      before.rows,
    );
  });
});

describe("the Workstation resource follows the assignment", () => {
  it("a new workstation is its maker's; assign moves spec.user, unassign removes it and stops", async () => {
    const lic = await licenseWithWorkstations(1);
    const ws = lic.workstations[0]!;
    expect((await resource(ws))?.spec).toMatchObject({ user: "owner@wsco.test", desiredState: "Running" });

    const assigned = await call("admin", "POST", wsPath(ws, "assign"), { userId: org.people.member.userId });
    expect(assigned.body).toMatchObject({
      name: ws,
      licenseId: lic.id,
      assignee: { userId: org.people.member.userId, email: "member@wsco.test" },
      desiredState: "Running",
    });
    const moved = await resource(ws);
    expect(moved?.spec.user).toBe("member@wsco.test");
    expect(moved?.metadata?.labels?.["coditect.ai/user"]).toBe("member_at_wsco.test");

    const unassigned = await call("admin", "POST", wsPath(ws, "unassign"));
    expect(unassigned.body).toMatchObject({ assignee: null, desiredState: "Stopped" });
    const emptied = await resource(ws);
    expect(emptied?.spec.user).toBeUndefined();
    expect(emptied?.spec.desiredState).toBe("Stopped");
    expect(emptied?.metadata?.labels?.["coditect.ai/user"]).toBeUndefined();
    // Unassigning again changes nothing and is not an error.
    expect((await call("admin", "POST", wsPath(ws, "unassign"))).status).toBe(200);
  });

  it("the list shows the live state and access URL from the resource's status", async () => {
    const lic = await licenseWithWorkstations(1);
    const ws = lic.workstations[0]!;
    const before = (await call("viewer", "GET", `/organizations/${org.slug}/workstations`)).body;
    expect(before.live).toBe(true);
    expect(before.workstations.find((w: { name: string }) => w.name === ws)).toMatchObject({
      state: "unknown",
      accessUrl: null,
    });
    await reportRunning(ws, "owner@wsco.test");
    const after = (await call("viewer", "GET", `/organizations/${org.slug}/workstations`)).body;
    expect(after.workstations.find((w: { name: string }) => w.name === ws)).toMatchObject({
      tier: "standard",
      assignee: { email: "owner@wsco.test" },
      state: "Running",
      accessUrl: `https://${ws}.ws.test`,
    });
  });

  it("a workstation being removed is stopped with no user, refuses assign/start (409), and is deleted after delete_after", async () => {
    const lic = await licenseWithWorkstations(1);
    const ws = lic.workstations[0]!;
    await h.pool.query(
      "UPDATE provisioned_workstations SET removal_requested_at = $2, delete_after = $3 WHERE name = $1",
      [ws, h.clock.now(), new Date(h.clock.now().getTime() + 7 * DAY)],
    );
    for (const [verb, body] of [
      ["assign", { userId: org.people.member.userId }],
      ["start", {}],
    ] as const) {
      const res = await call("admin", "POST", wsPath(ws, verb), body);
      expect(res.status, verb).toBe(409);
      expect(res.body.error.code).toBe("workstation_being_removed");
    }
    await h.deps.kube!.syncLicense(lic.id);
    expect((await resource(ws))?.spec).toMatchObject({ desiredState: "Stopped" });
    expect((await resource(ws))?.spec.user).toBeUndefined();

    h.clock.advance(7 * DAY);
    await h.deps.kube!.syncLicense(lic.id);
    expect(await resource(ws)).toBeNull();
    // Gone on purpose: the loss check does not bring it back.
    await h.deps.kube!.repairLosses();
    expect(await resource(ws)).toBeNull();
    // The clock moved past the account sessions' lifetime: everyone signs in again for the next tests.
    org = await testOrganization(h.pool, org.slug, h.clock.now());
  });
});

describe("the workstation-ready email", () => {
  it("is enqueued once per (workstation, assignee), only when access is the assignee's", async () => {
    const lic = await licenseWithWorkstations(1);
    const ws = lic.workstations[0]!;
    const deps = { db: h.pool, clock: h.clock, logger: h.deps.logger, kube: h.deps.kube };
    const mails = async (to: string) =>
      (
        await h.pool.query(
          "SELECT data FROM notification_outbox WHERE kind = 'workstation_ready' AND recipient = $1 AND data->>'workstation' = $2",
          [to, ws],
        )
      ).rows.map((r) => r.data);

    // Not running yet: nothing.
    await scanReadyWorkstations(deps);
    expect(await mails("owner@wsco.test")).toEqual([]);
    await reportRunning(ws, "owner@wsco.test");
    await scanReadyWorkstations(deps);
    await scanReadyWorkstations(deps);
    expect(await mails("owner@wsco.test")).toEqual([
      { organization: org.slug, workstation: ws, accessUrl: `https://${ws}.ws.test` },
    ]);

    // Reassigned: while the status still shows the old holder, the new assignee is not told yet.
    expect(
      (await call("admin", "POST", wsPath(ws, "assign"), { userId: org.people.member.userId })).status,
    ).toBe(200);
    await scanReadyWorkstations(deps);
    expect(await mails("member@wsco.test")).toEqual([]);
    await reportRunning(ws, "member@wsco.test");
    await scanReadyWorkstations(deps);
    expect(await mails("member@wsco.test")).toHaveLength(1);
    expect(await mails("owner@wsco.test")).toHaveLength(1);
  });
});
