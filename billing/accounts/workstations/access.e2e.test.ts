/**
 * Workstation access end to end (issue 16 §1): billing's customer API (real app, real PostgreSQL) assigns
 * and unassigns; billing's feed writes spec.user to the Workstation resource (Kubernetes API test server);
 * the real operator moves roles/workstations.user on the fake Cloud Workstations API — to the assignee on
 * assign and reassign, to nobody on unassign (which also stops the workstation) — and its Running status
 * with the access URL makes billing enqueue the workstation-ready email for the assignee.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually, type Harness, startHarness, TEST_POLICY } from "../../../operator/testing/harness.js";
import { type BillingHarness, startBillingHarness } from "../../testing/harness.js";
import { callAs, grantLicense } from "../seats/testing.js";
import { type TestOrganization, testOrganization } from "../testing/organization.js";
import { scanReadyWorkstations } from "./ready.js";

let op: Harness;
let h: BillingHarness;
let org: TestOrganization;

beforeAll(async () => {
  op = await startHarness();
  await op.startOperator({ policy: { ...TEST_POLICY, idleStopMinRunMs: 0, observeIntervalMs: 300 } });
  h = await startBillingHarness({ kubeConfig: op.kubeConfig });
  h.clock.set(new Date()); // the operator judges the License by the real clock
  org = await testOrganization(h.pool, "accessco", h.clock.now());
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await op?.stop();
});

it("access follows assign, unassign and reassign on the fake Cloud Workstations; ready mail goes to the assignee", async () => {
  const lic = await grantLicense(h.pool, h.clock.now(), {
    organization: org.slug,
    seats: 3,
    workstations: 1,
  });
  await h.deps.kube!.syncLicense(lic.id);
  const ws = lic.workstations[0]!;
  const cloudName = op.cloudName(org.slug, ws);
  const iam = () => op.fake.state.iamMembers(cloudName);
  const path = (verb: string) => `/organizations/${org.slug}/workstations/${ws}/${verb}`;

  // Made for the license's customer (the owner): theirs until reassigned.
  await eventually("the owner holds access", async () => iam()?.join() === "user:owner@accessco.test");

  const assigned = await callAs(h.url, org.people.admin, "POST", path("assign"), {
    userId: org.people.member.userId,
  });
  expect(assigned.status).toBe(200);
  await eventually("access moved to the member", async () => iam()?.join() === "user:member@accessco.test");

  expect((await callAs(h.url, org.people.admin, "POST", path("unassign"))).status).toBe(200);
  await eventually(
    "nobody holds access and the workstation is stopped",
    async () => iam()?.length === 0 && op.fake.state.workstation(cloudName)?.state === "STATE_STOPPED",
  );

  expect(
    (await callAs(h.url, org.people.admin, "POST", path("assign"), { userId: org.people.viewer.userId }))
      .status,
  ).toBe(200);
  await eventually(
    "the new assignee holds access and the workstation runs",
    async () =>
      iam()?.join() === "user:viewer@accessco.test" &&
      (await op.getWorkstation(org.slug, ws))?.status?.phase === "Running",
  );

  // The operator's Running status (with the access URL, access granted to the assignee) → one ready mail.
  const deps = { db: h.pool, clock: h.clock, logger: h.deps.logger, kube: h.deps.kube };
  await eventually(
    "the ready mail is enqueued",
    async () => (await scanReadyWorkstations(deps)) >= 0 && (await readyMails()).length > 0,
  );
  const mails = await readyMails();
  expect(mails).toEqual([
    {
      recipient: "viewer@accessco.test",
      data: expect.objectContaining({
        workstation: ws,
        organization: org.slug,
        accessUrl: expect.stringMatching(/^https:\/\//),
      }),
    },
  ]);
  // The list shows what the operator reports.
  const listed = await callAs(h.url, org.people.viewer, "GET", `/organizations/${org.slug}/workstations`);
  expect(listed.body.workstations[0]).toMatchObject({
    name: ws,
    state: "Running",
    accessUrl: mails[0]!.data.accessUrl,
  });

  async function readyMails() {
    return (
      await h.pool.query<{ recipient: string; data: Record<string, string> }>(
        "SELECT recipient, data FROM notification_outbox WHERE kind = 'workstation_ready' AND data->>'workstation' = $1",
        [ws],
      )
    ).rows;
  }
}, 60_000);
