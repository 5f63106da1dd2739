/**
 * Issue 16 "Done when": assignment and unassignment latency to every effect. Billing runs as
 * `npm run billing` (billing/server.ts in its own process, production timing: the outbox sender polls every
 * 5 s), on real PostgreSQL 15, with the cluster feed writing to the Kubernetes API test server and SMTP to
 * a local SMTP server (test-support/smtp), both in this process. This process is the admin's client.
 *
 * Per iteration (one person, one license with one seat and one workstation):
 * - assignment: POST …/seats then POST …/workstations/:name/assign, timed from before the first call to
 *   each effect: the answers, the seat row in PostgreSQL, spec.user on the Workstation in the cluster, the
 *   seat_assigned email accepted by the SMTP server;
 * - unassignment: DELETE …/seats/:userId with a live session admitted through the person's workstation
 *   (validated through billing's API; its principal set to the workstation's, as the identity path sets
 *   it), timed to: the answer, the seat row gone, the session ended in PostgreSQL, its ContainerSession
 *   terminated in the cluster, spec.user removed, the seat_unassigned email accepted.
 * Baselines in the same run: GET /healthz latency, and a plain outbox enqueue → SMTP delivery (the same
 * sender loop: the email effects above cannot beat it). Effects are polled every POLL_MS from this process.
 * Run: npm run bench -- notifications-assignment   (small proof run: BENCH_ASSIGNMENT_ITERATIONS=5)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CustomObjectsApi } from "@kubernetes/client-node";
import pg from "pg";
import { pino } from "pino";
import { grantLicense } from "../billing/accounts/seats/testing.js";
import { signInForTest, type TestAccount } from "../billing/accounts/testing/sign-in.js";
import { KubeClusterFeed } from "../billing/cluster/feed.js";
import { migrate } from "../billing/db/migrate.js";
import { withTransaction } from "../billing/db/tx.js";
import { enqueueNotification } from "../billing/notifications/outbox.js";
import type { ContainerSession, Workstation } from "../crds/types.js";
import { ContainerSessionResource, WorkstationResource } from "../crds/types.js";
import { fakeStripePriceEnv } from "../test-support/fake-stripe/index.js";
import { startKubeApiServer } from "../test-support/kube-apiserver/index.js";
import { freePort, startPostgres } from "../test-support/postgres/server.js";
import { startSmtpCatcher } from "../test-support/smtp/index.js";
import { waitFor } from "../test-support/wait.js";
import { writeBenchResult } from "./write-result.js";

const ITERATIONS = Number(process.env.BENCH_ASSIGNMENT_ITERATIONS ?? 50);
const ORG = "bench-assign";
const POLL_MS = 2;
const FROM = "billing@coditect.test";
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const quiet = pino({ level: "silent" });
const load = () => loadavg().map((l) => +l.toFixed(2));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds from `start` until `probe` holds (polled every POLL_MS; fails after 60 s). */
async function until(start: number, what: string, probe: () => Promise<boolean>): Promise<number> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (await probe()) return +(performance.now() - start).toFixed(2);
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { n: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? 0 };
}

const postgres = await startPostgres();
const kube = await startKubeApiServer({ crdDirs: ["crds"] });
const smtp = await startSmtpCatcher();
const kc = kube.kubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const dir = mkdtempSync(join(tmpdir(), "assignment-bench-"));
const databaseUrl = await postgres.createDatabase("bench_assignment");
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
let billing: ChildProcess | undefined;
// When each SMTP message arrived (the catcher pushes accepted messages; stamped here within POLL_MS).
const arrivals: number[] = [];
const stamp = setInterval(() => {
  while (arrivals.length < smtp.messages.length) arrivals.push(performance.now());
}, 1);
const arrivalOf = (to: string, kind: string): number | undefined => {
  const i = smtp.messages.findIndex((m) => m.to.includes(to) && m.headers["x-notification-kind"] === kind);
  return i >= 0 ? arrivals[i] : undefined;
};
try {
  await migrate(pool);
  const kubeconfig = join(dir, "kubeconfig.json");
  writeFileSync(kubeconfig, kc.exportConfig());
  const port = await freePort();
  billing = spawn(process.execPath, ["--import", "tsx", join(root, "billing/server.ts")], {
    cwd: root,
    env: {
      ...process.env,
      STRIPE_SECRET_KEY: "sk_test_bench",
      STRIPE_WEBHOOK_SECRET: "whsec_bench",
      ...fakeStripePriceEnv(),
      ADMIN_TOKEN: "b".repeat(40),
      DATABASE_URL: databaseUrl,
      KUBECONFIG: kubeconfig,
      PUBLIC_BASE_URL: "http://billing.test",
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      SMTP_FROM: FROM,
      LOG_LEVEL: "silent",
      PORT: String(port),
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor("billing to listen", async () => (await fetch(`${url}/healthz`)).ok, { timeoutMs: 60_000 });

  // ---- setup: an owner, one member and one license (1 seat, 1 workstation) per iteration ----
  const now = new Date();
  const owner = await signInForTest(pool, `owner@${ORG}.test`, now, { organization: ORG, role: "owner" });
  const feed = new KubeClusterFeed(kc, pool, quiet);
  const people: TestAccount[] = [];
  const licenses: { id: string; key: string; workstation: string }[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    people.push(await signInForTest(pool, `m${i}@${ORG}.test`, now, { organization: ORG, role: "member" }));
    const lic = await grantLicense(pool, now, { organization: ORG, seats: 1, workstations: 1 });
    await feed.syncLicense(lic.id);
    licenses.push({ id: lic.id, key: lic.key, workstation: lic.workstations[0]! });
  }
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${url}/v1/account/organizations/${ORG}${path}`, {
      method,
      headers: owner.headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const workstation = async (name: string) =>
    (await custom.getNamespacedCustomObject({ ...WorkstationResource, namespace: ORG, name })) as Workstation;
  const seatRows = async (licenseId: string) =>
    (await pool.query("SELECT 1 FROM seat_assignments WHERE license_id = $1", [licenseId])).rowCount ?? 0;

  const loadBefore = load();
  // ---- baseline 1: GET /healthz ----
  const healthz: number[] = [];
  for (let i = 0; i < Math.max(50, ITERATIONS * 2); i++) {
    const start = performance.now();
    await (await fetch(`${url}/healthz`)).text();
    healthz.push(+(performance.now() - start).toFixed(2));
  }

  // ---- assignment and unassignment, one person at a time ----
  const effects: Record<string, number[]> = {};
  const record = (name: string, ms: number) => {
    effects[name] = [...(effects[name] ?? []), ms];
  };
  const pendingMail: { to: string; kind: string; start: number; effect: string }[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const person = people[i]!;
    const lic = licenses[i]!;
    const ws = lic.workstation;

    let start = performance.now();
    const seat = await api("POST", `/licenses/${lic.id}/seats`, { userId: person.userId });
    if (seat.status !== 201) throw new Error(`seat assign answered ${seat.status}: ${await seat.text()}`);
    record("assign.seatAnswer", +(performance.now() - start).toFixed(2));
    pendingMail.push({ to: person.email, kind: "seat_assigned", start, effect: "assign.emailDelivered" });
    record("assign.seatRow", await until(start, "the seat row", async () => (await seatRows(lic.id)) === 1));
    const assigned = await api("POST", `/workstations/${ws}/assign`, { userId: person.userId });
    if (assigned.status !== 200) throw new Error(`workstation assign answered ${assigned.status}`);
    record("assign.workstationAnswer", +(performance.now() - start).toFixed(2));
    record(
      "assign.workstationSpecUser",
      await until(start, "spec.user", async () => (await workstation(ws)).spec.user === person.email),
    );

    // A session of the person's workstation (principal as the identity path records it; ADR 0151).
    const v = await fetch(`${url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ licenseKey: lic.key, containerId: `ws-${i}`, containerType: "workstation" }),
    });
    if (v.status !== 201) throw new Error(`validate answered ${v.status}: ${await v.text()}`);
    const { sessionId } = (await v.json()) as { sessionId: string };
    const resourceName = (
      await pool.query("UPDATE container_sessions SET principal = $2 WHERE id = $1 RETURNING resource_name", [
        sessionId,
        `workstation:${ORG}/${ws}`,
      ])
    ).rows[0].resource_name as string;
    await waitFor("the session's resource", async () => {
      try {
        await custom.getNamespacedCustomObject({
          ...ContainerSessionResource,
          namespace: ORG,
          name: resourceName,
        });
        return true;
      } catch {
        return false;
      }
    });

    start = performance.now();
    const removed = await api("DELETE", `/licenses/${lic.id}/seats/${person.userId}`);
    if (removed.status !== 204) throw new Error(`seat unassign answered ${removed.status}`);
    record("unassign.answer", +(performance.now() - start).toFixed(2));
    pendingMail.push({ to: person.email, kind: "seat_unassigned", start, effect: "unassign.emailDelivered" });
    const [seatGone, ended, terminated, userGone] = await Promise.all([
      until(start, "the seat row gone", async () => (await seatRows(lic.id)) === 0),
      until(start, "the session ended in PostgreSQL", async () => {
        const r = await pool.query("SELECT state FROM container_sessions WHERE id = $1", [sessionId]);
        return r.rows[0].state !== "active";
      }),
      until(start, "the ContainerSession terminated", async () => {
        const s = (await custom.getNamespacedCustomObject({
          ...ContainerSessionResource,
          namespace: ORG,
          name: resourceName,
        })) as ContainerSession;
        return s.status?.state === "terminated";
      }),
      until(start, "spec.user removed", async () => (await workstation(ws)).spec.user === undefined),
    ]);
    record("unassign.seatRowGone", seatGone);
    record("unassign.sessionEndedInPostgres", ended);
    record("unassign.containerSessionTerminated", terminated);
    record("unassign.workstationSpecUserRemoved", userGone);
  }

  // ---- baseline 2: a plain outbox message, enqueue → SMTP delivery (same sender loop) ----
  for (let i = 0; i < ITERATIONS; i++) {
    const to = `baseline${i}@${ORG}.test`;
    const start = performance.now();
    await withTransaction(pool, (tx) =>
      enqueueNotification(
        tx,
        {
          kind: "license_revoked",
          to,
          data: { licenseId: `lic-${i}`, organization: ORG, at: now.toISOString() },
        },
        new Date(),
      ),
    );
    pendingMail.push({ to, kind: "license_revoked", start, effect: "baseline.enqueueToDelivery" });
    await sleep(100); // spread over the sender's 5 s period
  }
  await waitFor(
    "every email delivered",
    () => pendingMail.every((m) => arrivalOf(m.to, m.kind) !== undefined),
    { timeoutMs: 60_000, intervalMs: 20 },
  );
  for (const m of pendingMail) record(m.effect, +(arrivalOf(m.to, m.kind)! - m.start).toFixed(2));
  const loadAfter = load();

  const duplicates = smtp.messages.length - new Set(smtp.messages.map((m) => m.messageId)).size;
  writeBenchResult("notifications", "assignment", {
    loadAverage: { before: loadBefore, after: loadAfter },
    setup: {
      billing: "billing/server.ts in its own process (npm run billing), NODE_ENV=production, cluster feed on",
      postgres: "real PostgreSQL 15 (test-support/postgres, fsync=off)",
      cluster: "Kubernetes API test server (in the benchmark's process)",
      smtp: "test-support/smtp (smtp-server + mailparser) in the benchmark's process",
      senderIntervalMs: 5_000,
      pollMs: POLL_MS,
      iterations: ITERATIONS,
      note: "email effects are bounded below by the sender's 5 s polling period: compare them with baseline.enqueueToDelivery",
    },
    baselineHealthz: summary(healthz),
    effects: Object.fromEntries(Object.entries(effects).map(([k, v]) => [k, summary(v)])),
    checks: { emailsDelivered: smtp.messages.length, duplicateMessageIds: duplicates },
  });
  if (duplicates > 0) process.exitCode = 1;
} finally {
  clearInterval(stamp);
  billing?.kill("SIGTERM");
  if (billing && billing.exitCode === null) await new Promise((r) => billing!.once("exit", r));
  await pool.end();
  await smtp.stop();
  await kube.stop();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
