/**
 * The purchase-to-revocation journey against the processes as deployed: checkout → the fake Stripe pays and
 * sends signed webhooks to billing → License in the cluster → Workstation Ready on the fake → a container
 * session validates and heartbeats (HTTP with the license key) → admin revoke (as a Google identity on the
 * rendered allow-list; the audit log names that admin) → workstation stopped, access
 * removed, session terminated. Each wait names what did not happen.
 */
import { revealLicenseKey, startCheckout } from "../billing/checkout/reveal-client.js";
import type { FakeStripe } from "../test-support/fake-stripe/index.js";
import type { FakeWorkstations } from "../test-support/fake-workstations/index.js";
import { waitFor } from "../test-support/wait.js";
import type { RehearsalCluster } from "./cluster.js";

export interface JourneyContext {
  billingUrl: string;
  /** An admin on the rendered ADMIN_EMAILS and how they authenticate (a Google ID token, ADR 0165). */
  admin: { email: string; authorization(): Promise<string> };
  stripe: FakeStripe;
  workstations: FakeWorkstations;
  cluster: RehearsalCluster;
  /** Throws when a service process has exited (stops waiting early). */
  alive(): void;
  log(line: string): void;
}

const ORG = "rehearsal";
const USER = "owner@rehearsal.test";
const WAIT = { timeoutMs: 60_000, intervalMs: 250 };

interface KubeItem {
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    state?: string;
    host?: string;
    externalRef?: string;
    conditions?: { type: string; status: string }[];
  };
}

async function httpJson(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
) {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

export async function driveJourney(ctx: JourneyContext): Promise<void> {
  const list = async (plural: string): Promise<KubeItem[]> =>
    (await ctx.cluster.listCustom(plural)) as KubeItem[];
  // waitFor treats a throwing probe as "not yet": a dead process or a Forbidden answer must end the wait.
  const until = async <T>(what: string, probe: () => Promise<T>): Promise<NonNullable<T>> => {
    const outcome = await waitFor(
      what,
      async () => {
        try {
          ctx.alive();
        } catch (error) {
          return { stop: error as Error };
        }
        const value = await probe();
        return value ? { value: value as NonNullable<T> } : undefined;
      },
      WAIT,
    );
    if ("stop" in outcome && outcome.stop) throw new Error(`${what}: ${outcome.stop.message}`);
    return (outcome as { value: NonNullable<T> }).value;
  };

  const checkout = await startCheckout(ctx.billingUrl, {
    organization: ORG,
    customerEmail: USER,
    items: [
      { product: "starter", quantity: 1 },
      { product: "standard", quantity: 1 },
    ],
  });
  if (checkout.status !== 201)
    throw new Error(`checkout: HTTP ${checkout.status} ${JSON.stringify(checkout.body)}`);
  const sessionId = checkout.body.checkoutSessionId as string;
  ctx.log(`  checkout session ${sessionId}`);

  const paid = await fetch(`${ctx.stripe.url}/_fake/checkout_sessions/${sessionId}/complete`, {
    method: "POST",
  });
  if (!paid.ok) throw new Error(`the fake Stripe could not complete ${sessionId}: HTTP ${paid.status}`);
  const deliveries = await ctx.stripe.settled();
  const rejected = deliveries.filter((d) => !d.delivered);
  if (rejected.length > 0) {
    throw new Error(`billing rejected signed webhooks: ${JSON.stringify(rejected.slice(0, 3))}`);
  }

  // The success page's button, as the browser that started the checkout (its reveal cookie, the page's Origin).
  const success = await until("billing revealing the license key after payment", async () => {
    const r = await revealLicenseKey(ctx.billingUrl, sessionId, checkout.cookie);
    return r.status === 200 && r.body.licenseKey ? r.body : undefined;
  });
  const licenseKey = success.licenseKey as string;
  const licenseId = (success.license as { id: string }).id;
  ctx.log(`  license ${licenseId}`);

  await until(`billing writing License ${licenseId} into the cluster (cluster feed)`, async () =>
    (await list("licenses")).find((l) => l.metadata.labels?.["coditect.ai/license-id"] === licenseId),
  );
  const workstation = await until(
    "the operator making the Workstation Ready with a host on the fake",
    async () =>
      (await list("workstations")).find(
        (w) =>
          w.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") &&
          Boolean(w.status?.host),
      ),
  );
  ctx.log(`  workstation ${workstation.metadata.name} ready at ${workstation.status?.host}`);

  const validated = await httpJson(`${ctx.billingUrl}/v1/sessions/validate`, {
    body: { licenseKey, containerId: "rehearsal-a", containerType: "docker", hostname: "rehearsal-a.test" },
  });
  if (validated.status !== 201)
    throw new Error(`session validate: HTTP ${validated.status} ${JSON.stringify(validated.body)}`);
  const sessionToken = (validated.body.sessionToken ?? validated.body.token) as string;
  const bearer = { authorization: `Bearer ${sessionToken}` };
  const beat = await httpJson(`${ctx.billingUrl}/v1/sessions/heartbeat`, { headers: bearer, body: {} });
  if (beat.status !== 200)
    throw new Error(`session heartbeat: HTTP ${beat.status} ${JSON.stringify(beat.body)}`);
  await until("the ContainerSession of the validated container in the cluster", async () =>
    (await list("containersessions")).find((s) => s.spec.containerId === "rehearsal-a"),
  );

  const revoke = await httpJson(`${ctx.billingUrl}/v1/admin/licenses/${licenseId}/revoke`, {
    headers: { authorization: await ctx.admin.authorization() },
    body: { reason: "rehearsal: revoke" },
  });
  if (revoke.status !== 200)
    throw new Error(`admin revoke: HTTP ${revoke.status} ${JSON.stringify(revoke.body)}`);
  const audit = await httpJson(
    `${ctx.billingUrl}/v1/admin/audit-events?licenseId=${licenseId}&action=license.revoked`,
    { headers: { authorization: await ctx.admin.authorization() } },
  );
  const revokedBy = (audit.body.events as { actor?: string }[] | undefined)?.[0]?.actor;
  if (revokedBy !== ctx.admin.email)
    throw new Error(
      `the audit log names ${revokedBy ?? "nobody"} for the revocation, not ${ctx.admin.email}`,
    );
  await until("the Workstation stopped with access removed after revocation", async () => {
    const ws = (await list("workstations")).find((w) => w.metadata.name === workstation.metadata.name);
    const access = ws?.status?.conditions?.find((c) => c.type === "AccessGranted");
    return ws?.status?.state === "STATE_STOPPED" && access?.status === "False";
  });
  const cloud = ctx.workstations.state.workstation(workstation.status!.externalRef!);
  if (cloud?.state !== "STATE_STOPPED")
    throw new Error(`the fake's workstation is ${cloud?.state}, not STATE_STOPPED`);
  const members = ctx.workstations.state.iamMembers(workstation.status!.externalRef!);
  if (members.some((m) => m.includes(USER)))
    throw new Error(`${USER} still holds access on the fake: ${members.join(", ")}`);
  await until("the ContainerSession terminated", async () => {
    const s = (await list("containersessions")).find((c) => c.spec.containerId === "rehearsal-a");
    return (s?.status as { state?: string } | undefined)?.state === "terminated";
  });
  // The container's next heartbeat is told its session is over (the agent then stops its payload).
  const after = await httpJson(`${ctx.billingUrl}/v1/sessions/heartbeat`, { headers: bearer, body: {} });
  if (after.status !== 200 || after.body.status !== "expired") {
    throw new Error(
      `heartbeat after revocation answers HTTP ${after.status} ${JSON.stringify(after.body)}, not status "expired"`,
    );
  }
  const beforeOk = beat.body.status;
  if (beforeOk !== "ok")
    throw new Error(`heartbeat before revocation answered ${JSON.stringify(beat.body)}, not status "ok"`);
}
