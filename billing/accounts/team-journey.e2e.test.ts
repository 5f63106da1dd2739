/**
 * Issue 16 "Done when": the team journey in ONE test, through the real HTTP API and real PostgreSQL, the
 * fake Stripe through the real SDK with signed webhooks, the Kubernetes API test server with the real
 * operator and the fake Cloud Workstations, and the real outbox sender delivering to the SMTP test server.
 * An owner buys Pro with 10 seats and 3 Standard workstations → reveals the key from the receipt mail and
 * signs in with the link mailed to them → invites ten people, a sender crashes mid-batch, another delivers
 * → they accept through the links in their mail → seats (the 11th is refused) and workstations (each
 * assignee becomes spec.user and holds access on the fake) → a workstation container and a multi-user one →
 * unassigning a member ends their sessions and access → the subscription drops to 2 workstations → a plan
 * change to Starter ends the session beyond its one container (the operator) → every step audited, every
 * email received exactly once.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ContainerSession, License, Workstation } from "../../crds/types.js";
import { ContainerSessionResource, LicenseResource, WorkstationResource } from "../../crds/types.js";
import { systemClock } from "../../lib/clock.js";
import { WORKSTATION_CREDENTIAL_ENV } from "../../lib/workstation-credential.js";
import { registerContainerSessionControllers } from "../../operator/containersession/register.js";
import { workstationIdFor } from "../../operator/gcp/naming.js";
import { Manager } from "../../operator/runtime/manager.js";
import { eventually, type Harness, startHarness, TEST_POLICY } from "../../operator/testing/harness.js";
import {
  type FakeGoogleIdentity,
  startFakeGoogleIdentity,
} from "../../test-support/fake-google-identity/index.js";
import { type SmtpCatcher, startSmtpCatcher } from "../../test-support/smtp/index.js";
import { revealLicenseKey, startCheckout } from "../checkout/reveal-client.js";
import { licenseResourceName } from "../cluster/projection.js";
import { messageIdFor } from "../notifications/sender.js";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";
import { type Answer, callAs } from "./seats/testing.js";
import { cookieFrom } from "./testing/client.js";
import { MAIL_FROM, type Mailbox, mailbox } from "./testing/mailbox.js";
import type { TestAccount } from "./testing/sign-in.js";
import { scanReadyWorkstations } from "./workstations/ready.js";

const ORG = "journeyco";
const OWNER = "owner@journeyco.test";
const AUDIENCE = "https://billing.test/workstations";
const WORKSTATION_SA = "workstations@coditect-test.iam.gserviceaccount.com";
const PEOPLE = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan", "judy"].map(
  (name) => `${name}@journeyco.test`,
);
const [ALICE, BOB, CAROL] = PEOPLE as [string, string, string];

let op: Harness;
let h: BillingHarness;
let smtp: SmtpCatcher;
let mail: Mailbox;
let identity: FakeGoogleIdentity;
let dir: string;
let sessionControllers: Manager;

beforeAll(async () => {
  op = await startHarness();
  await op.startOperator({ policy: { ...TEST_POLICY, idleStopMinRunMs: 0, observeIntervalMs: 300 } });
  // The operator's ContainerSession controllers, registered as operator/main.ts registers them (the
  // harness's startOperator runs the Workstation controllers only).
  sessionControllers = new Manager({
    kubeClient: op.kubeClient(),
    clock: systemClock,
    logger: pino({ level: "silent" }),
    leaderElection: false,
    relistPeriodMs: 5_000,
  });
  registerContainerSessionControllers(sessionControllers, {
    clock: systemClock,
    logger: pino({ level: "silent" }),
    rateLimiter: { baseDelayMs: 20, maxDelayMs: 500 },
  });
  await sessionControllers.start();
  identity = await startFakeGoogleIdentity();
  smtp = await startSmtpCatcher();
  dir = mkdtempSync(join(tmpdir(), "team-journey-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, op.kubeConfig.exportConfig());
  h = await startBillingHarness({
    kubeConfig: op.kubeConfig,
    env: {
      // The sessions API writes ContainerSessions where the operator reconciles them (as in the sandbox).
      KUBECONFIG: kubeconfig,
      WORKSTATION_IDENTITY_AUDIENCE: AUDIENCE,
      WORKSTATION_IDENTITY_SERVICE_ACCOUNTS: WORKSTATION_SA,
      WORKSTATION_IDENTITY_JWKS_URL: identity.jwksUrl,
    },
  });
  h.clock.set(new Date()); // the operator judges Licenses and heartbeats by the real clock
  mail = mailbox({ db: h.pool, clock: h.clock }, smtp, h.deps.config.publicBaseUrl);
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await sessionControllers?.stop();
  await op?.stop();
  await smtp?.stop();
  await identity?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Keeps the manual clock on the real one (the operator's), so heartbeats written now are fresh. */
const tick = () => h.clock.set(new Date(Math.max(Date.now(), h.clock.now().getTime())));
const deliver = async (ids: string[]) => {
  for (const event of eventsById(h.fake, ids)) expect((await h.sendEvent(event)).status).toBe(200);
};
const sessions = async (path: string, body: unknown, token?: string): Promise<Answer> => {
  const res = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};
/** A person in the browser after following a link: the cookie billing set and the CSRF token it answered. */
const account = (res: Response, answer: unknown) => {
  const body = answer as { user: { id: string; email: string }; csrfToken: string };
  const cookie = cookieFrom(res.headers.get("set-cookie"));
  return {
    userId: body.user.id,
    email: body.user.email,
    cookie,
    csrfToken: body.csrfToken,
    headers: { cookie, "x-csrf-token": body.csrfToken, "content-type": "application/json" },
  } satisfies TestAccount;
};
const post = (path: string, body: unknown) =>
  fetch(`${h.url}/v1/account${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: h.deps.config.publicBaseUrl },
    body: JSON.stringify(body),
  });
const kube = <T>(resource: { group: string; version: string; plural: string }, name: string) =>
  op.custom.getNamespacedCustomObject({ ...resource, namespace: ORG, name }) as Promise<T>;
const sessionRow = async (id: string) =>
  (await h.pool.query("SELECT state, reason FROM container_sessions WHERE id = $1", [id])).rows[0];

it("owner buys, invites, assigns; members work; unassign, fewer workstations and a downgrade end exactly what they must; every step audited and mailed once", async () => {
  // 1. The owner buys Pro (10 seats) and 3 Standard workstations through the checkout and the fake Stripe.
  const checkout = await startCheckout(h.url, {
    organization: ORG,
    customerEmail: OWNER,
    items: [
      { product: "pro", quantity: 10 },
      { product: "standard", quantity: 3 },
    ],
  });
  expect(checkout.status).toBe(201);
  const completed = h.fake.store.completeCheckout(String(checkout.body.checkoutSessionId));
  await deliver(completed.events.map((e) => e.id));
  const subscriptionId = completed.subscription.id;
  const lic = (
    await h.pool.query("SELECT id FROM licenses WHERE stripe_subscription_id = $1", [subscriptionId])
  ).rows[0].id as string;

  // The receipt carries a one-time reveal link, never the key; the owner reveals it from the browser.
  expect(await mail.send()).toMatchObject({ sent: 1, failed: 0 });
  const [receipt] = mail.to(OWNER);
  const revealPage = mail.link(receipt!, "/v1/checkout/success");
  const revealed = await revealLicenseKey(h.url, revealPage.searchParams.get("session_id")!, checkout.cookie);
  expect(revealed.status).toBe(200);
  const licenseKey = String(revealed.body.licenseKey);
  expect(receipt!.text).not.toContain(licenseKey);

  // 2. The owner signs in with the link mailed to them.
  expect((await post("/sign-in/email", { email: OWNER })).status).toBe(202);
  await mail.send();
  const signInLink = mail.link(mail.to(OWNER, /^Sign in/)[0]!, "/account/sign-in/verify");
  const verified = await post("/sign-in/email/verify", { token: signInLink.searchParams.get("token") });
  expect(verified.status).toBe(200);
  const owner = account(verified, await verified.json());
  const as = (who: TestAccount, method: string, path: string, body?: unknown) =>
    callAs(h.url, who, method, `/organizations/${ORG}${path}`, body);

  // 3. Ten invitations; the first sender dies mid-batch, the next delivers each invitation once.
  for (const email of PEOPLE) {
    expect((await as(owner, "POST", "/invitations", { email, role: "member" })).status).toBe(201);
  }
  await mail.crashSenderMidBatch(String(h.pool.options.connectionString));
  expect(await mail.send()).toMatchObject({ sent: PEOPLE.length, failed: 0 });
  const people: Record<string, TestAccount> = {};
  for (const email of PEOPLE) {
    const [invitation] = mail.to(email);
    expect(invitation?.subject).toMatch(/invited you to journeyco/);
    const link = mail.link(invitation!, "/account/invitations/accept");
    const accepted = await post("/invitations/accept", { token: link.searchParams.get("token") });
    expect(accepted.status).toBe(200);
    people[email] = account(accepted, await accepted.json());
  }
  const [alice, bob, carol] = [people[ALICE]!, people[BOB]!, people[CAROL]!];

  // 4. Seats: the owner and nine people fill the ten; the eleventh assignment is refused.
  const seats = `/licenses/${lic}/seats`;
  for (const who of [owner, ...PEOPLE.slice(0, 9).map((e) => people[e]!)]) {
    expect((await as(owner, "POST", seats, { userId: who.userId })).status).toBe(201);
  }
  const eleventh = await as(owner, "POST", seats, { userId: people[PEOPLE[9]!]!.userId });
  expect(eleventh).toMatchObject({ status: 409, body: { error: { code: "seats_exhausted" } } });

  // 5. Workstations: each assignee becomes the resource's spec.user and holds access on the fake.
  const listed = await as(owner, "GET", "/workstations");
  const names = (listed.body.workstations as { name: string }[]).map((w) => w.name).sort();
  expect(names).toHaveLength(3);
  const assignees = [alice, bob, carol];
  for (const [i, name] of names.entries()) {
    expect(
      (await as(owner, "POST", `/workstations/${name}/assign`, { userId: assignees[i]!.userId })).status,
    ).toBe(200);
  }
  for (const [i, name] of names.entries()) {
    const user = assignees[i]!.email;
    expect((await kube<Workstation>(WorkstationResource, name)).spec.user).toBe(user);
    await eventually(`${user} holds access to ${name} and it runs`, async () => {
      const cloud = op.fake.state.workstation(op.cloudName(ORG, name));
      return (
        op.fake.state.iamMembers(op.cloudName(ORG, name))?.join() === `user:${user}` &&
        cloud?.state === "STATE_RUNNING" &&
        (await op.getWorkstation(ORG, name))?.status?.phase === "Running"
      );
    });
  }
  const readyDeps = { db: h.pool, clock: h.clock, logger: h.deps.logger, kube: h.deps.kube };
  await eventually("three ready mails enqueued", async () => {
    await scanReadyWorkstations(readyDeps);
    const n = await h.pool.query(
      "SELECT count(*)::int AS n FROM notification_outbox WHERE kind = 'workstation_ready'",
    );
    return n.rows[0].n === 3;
  });

  // 6. Alice's workstation runs a container (its own identity); a multi-user container; alice and bob join.
  tick();
  const validateWorkstation = async (name: string) =>
    sessions("/v1/sessions/validate", {
      identityToken: await identity.idToken({
        email: WORKSTATION_SA,
        audience: AUDIENCE,
        now: h.clock.now(),
      }),
      workstationCredential: op.fake.state.workstation(op.cloudName(ORG, name))!.env[
        WORKSTATION_CREDENTIAL_ENV
      ],
      containerId: workstationIdFor(ORG, name),
      containerType: "workstation",
    });
  const shared = await sessions("/v1/sessions/validate", {
    licenseKey,
    containerId: "team-shared",
    containerType: "docker",
    maxUsers: 4,
  });
  expect(shared.status).toBe(201);
  const alicesWs = await validateWorkstation(names[0]!);
  expect(alicesWs.status).toBe(201);
  for (const user of [ALICE, BOB]) {
    expect((await sessions("/v1/sessions/users/join", { user }, shared.body.sessionToken)).status).toBe(200);
  }
  const seatless = await sessions("/v1/sessions/users/join", { user: PEOPLE[9] }, shared.body.sessionToken);
  expect(seatless).toMatchObject({ status: 403, body: { error: { code: "no_seat" } } });

  // 7. Unassigning alice: her workstation's session ends, she leaves the shared one, her access goes.
  expect((await as(owner, "DELETE", `${seats}/${alice.userId}`)).status).toBe(204);
  expect(await sessionRow(alicesWs.body.sessionId)).toEqual({
    state: "terminated",
    reason: "SeatUnassigned",
  });
  const aliceHeartbeat = await sessions("/v1/sessions/heartbeat", {}, alicesWs.body.sessionToken);
  expect(aliceHeartbeat.body).toMatchObject({ status: "expired" });
  const sharedResource = () =>
    kube<ContainerSession>(ContainerSessionResource, `cs-${shared.body.sessionId}`);
  expect((await sharedResource()).status?.users?.map((u) => u.user)).toEqual([BOB]);
  expect(
    (await kube<ContainerSession>(ContainerSessionResource, `cs-${alicesWs.body.sessionId}`)).status,
  ).toMatchObject({ state: "terminated", reason: "SeatUnassigned" });
  await eventually("alice's access is gone and her workstation stopped", async () => {
    const cloudName = op.cloudName(ORG, names[0]!);
    return (
      op.fake.state.iamMembers(cloudName)?.length === 0 &&
      op.fake.state.workstation(cloudName)?.state === "STATE_STOPPED"
    );
  });

  // 8. The subscription drops to 2 workstations: the unassigned one (alice's former) goes.
  tick();
  const items = (
    h.fake.store.subscriptions.get(subscriptionId)!.items as { data: { id: string; price: { id: string } }[] }
  ).data;
  const workstationItem = items.find((i) => i.price.id === "price_fake_standard_monthly")!;
  await h.deps.stripe.subscriptions.update(subscriptionId, {
    items: [{ id: workstationItem.id, quantity: 2 }],
  });
  await deliver([h.fake.store.events.at(-1)!.id]);
  const rows = await h.pool.query(
    "SELECT name, removal_requested_at IS NOT NULL AS removed FROM provisioned_workstations WHERE license_id = $1 ORDER BY name",
    [lic],
  );
  expect(rows.rows).toEqual(names.map((name, i) => ({ name, removed: i === 0 })));
  // Kept, stopped and nobody's until its 7-day grace ends (ADR 0241); the other two keep their people.
  expect((await kube<Workstation>(WorkstationResource, names[0]!)).spec).toMatchObject({
    desiredState: "Stopped",
  });
  expect((await kube<Workstation>(WorkstationResource, names[0]!)).spec.user).toBeUndefined();
  expect((await kube<Workstation>(WorkstationResource, names[1]!)).spec.user).toBe(BOB);

  // 9. A plan change to Starter (one container): the newest session beyond it ends (the operator).
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // creation times are whole seconds
  tick();
  const bobsWs = await validateWorkstation(names[1]!);
  expect(bobsWs.status).toBe(201);
  for (const token of [shared.body.sessionToken, bobsWs.body.sessionToken]) {
    expect((await sessions("/v1/sessions/heartbeat", {}, token)).body.status).toBe("ok");
  }
  const licenseItem = items.find((i) => i.price.id === "price_fake_pro_monthly")!;
  await h.deps.stripe.subscriptions.update(subscriptionId, {
    items: [{ id: licenseItem.id, price: "price_fake_starter_monthly" }],
  });
  await deliver([h.fake.store.events.at(-1)!.id]);
  expect((await kube<License>(LicenseResource, licenseResourceName(lic))).spec).toMatchObject({
    tier: "starter",
    maxContainers: 1,
  });
  const bobsResource = () => kube<ContainerSession>(ContainerSessionResource, `cs-${bobsWs.body.sessionId}`);
  await eventually(
    "the operator ends the newest session",
    async () => (await bobsResource()).status?.state === "terminated",
  );
  expect((await bobsResource()).status?.reason).toBe("OverQuota");
  tick();
  // Postgres still says live: that heartbeat is ok and its queued status write learns of the end (ADR 0270).
  expect((await sessions("/v1/sessions/heartbeat", {}, bobsWs.body.sessionToken)).body.status).toBe("ok");
  await eventually("Postgres follows the operator's end", async () => {
    const row = await sessionRow(bobsWs.body.sessionId);
    return row.state === "terminated";
  });
  const bobHeartbeat = await sessions("/v1/sessions/heartbeat", {}, bobsWs.body.sessionToken);
  expect(bobHeartbeat.body).toMatchObject({ status: "expired", message: expect.stringMatching(/OverQuota/) });
  expect(await sessionRow(bobsWs.body.sessionId)).toEqual({ state: "terminated", reason: "OverQuota" });
  expect(await sessionRow(shared.body.sessionId)).toEqual({ state: "active", reason: null });
  expect((await sharedResource()).status?.state).not.toBe("terminated");

  // 10. The rest of the mail goes out, with a second crash mid-batch first.
  await mail.crashSenderMidBatch(String(h.pool.options.connectionString));
  await mail.send();
  const outbox = await h.pool.query<{ id: string; kind: string; recipient: string; state: string }>(
    "SELECT id::text, kind, recipient, state FROM notification_outbox ORDER BY id",
  );
  expect(outbox.rows.every((r) => r.state === "sent")).toBe(true);
  // Each message once: every outbox row's Message-ID arrived exactly once, and nothing else did.
  expect(smtp.messages.map((m) => m.messageId).sort()).toEqual(
    outbox.rows.map((r) => messageIdFor(r.id, MAIL_FROM)).sort(),
  );
  const kinds = (to: string) =>
    outbox.rows
      .filter((r) => r.recipient === to)
      .map((r) => r.kind)
      .sort();
  expect(kinds(OWNER)).toEqual(["purchase_receipt", "seat_assigned", "sign_in_link"]);
  expect(kinds(ALICE)).toEqual(["invitation", "seat_assigned", "seat_unassigned", "workstation_ready"]);
  expect(kinds(BOB)).toEqual(["invitation", "seat_assigned", "workstation_ready"]);
  expect(kinds(CAROL)).toEqual(["invitation", "seat_assigned", "workstation_ready"]);
  expect(kinds(PEOPLE[3]!)).toEqual(["invitation", "seat_assigned"]);
  expect(kinds(PEOPLE[9]!)).toEqual(["invitation"]);

  // Every step is in the audit log, the customer's under account:<email>.
  const audit = await h.pool.query<{ actor: string; action: string; n: number }>(
    `SELECT actor, action, count(*)::int AS n FROM audit_events
      WHERE license_id = $1 OR actor LIKE 'account:%' GROUP BY actor, action ORDER BY actor, action`,
    [lic],
  );
  const by = (actor: RegExp, action: string) =>
    audit.rows.filter((r) => actor.test(r.actor) && r.action === action).reduce((n, r) => n + r.n, 0);
  const byOwner = /^account:owner@journeyco\.test$/;
  // The purchase, and each workstation it bought.
  expect(by(/^stripe:/, "license.created")).toBe(1);
  expect(by(/^stripe:/, "workstation.added")).toBe(3);
  expect(by(/^customer:checkout$/, "license.key_issued")).toBe(1);
  // The team: invitations, acceptances (by the invitee), seats, workstations.
  expect(by(byOwner, "invitation.created")).toBe(10);
  for (const email of PEOPLE) expect(by(new RegExp(`^account:${email}$`), "membership.created")).toBe(1);
  expect(by(byOwner, "seat.assigned")).toBe(10);
  expect(by(byOwner, "workstation.assigned")).toBe(3);
  // The containers, and the joins of the multi-user one.
  expect(by(/^container:/, "session.started")).toBe(3);
  expect(by(/^container:team-shared$/, "session.user_joined")).toBe(2);
  // Unassigning alice: her seat, her workstation, her workstation's session, her join.
  expect(by(byOwner, "seat.unassigned")).toBe(1);
  expect(by(byOwner, "workstation.unassigned")).toBe(1);
  expect(by(byOwner, "session.terminated")).toBe(1);
  expect(by(byOwner, "session.user_removed")).toBe(1);
  // The subscription changes, and the operator's end of the session beyond Starter's limit.
  expect(by(/^stripe:/, "workstation.removed")).toBe(1);
  expect(by(/^stripe:/, "license.plan_changed")).toBe(1);
  expect(by(/^operator$/, "session.terminated")).toBe(1);
}, 240_000);
