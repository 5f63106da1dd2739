/**
 * Issue 12 §1: billing (the real process) rides through a PostgreSQL restart under 20 concurrent
 * heartbeat/validate clients: it stays up, answers 503 with Retry-After during the outage (never another
 * 5xx), /readyz says not ready, and service resumes by itself once the server is back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { type PostgresServer, startPostgres } from "../../test-support/postgres/server.js";
import { waitFor } from "../../test-support/wait.js";
import { type BillingProcess, listeningPort, runBilling } from "../testing/process.js";

const ADMIN_TOKEN = "restart-test-admin-token-0123456789abcdef";
const CLIENTS = 20;
const LICENSES = 4;
/** Per client: heartbeats are limited to 20 a minute per session (sessions/rate-limit.ts). */
const PAUSE_MS = 1_000;

interface Outcome {
  client: number;
  at: "before" | "outage" | "after";
  status: number | "connection_failed";
  retryAfter: string | null;
  code?: string;
  /** A heartbeat's answer (ok, warning, expired). */
  session?: string;
}

describe("billing through a PostgreSQL restart", () => {
  let server: PostgresServer;
  let billing: BillingProcess;
  let url: string;

  beforeAll(async () => {
    // Its own server: restarting the run's shared one would break every other test file.
    server = await startPostgres();
    billing = runBilling({
      PORT: "0",
      DATABASE_URL: await server.createDatabase("billing_restart"),
      STRIPE_SECRET_KEY: "sk_test_restart",
      STRIPE_WEBHOOK_SECRET: "whsec_restart",
      STRIPE_API_URL: "http://127.0.0.1:9",
      ...fakeStripePriceEnv(),
      ADMIN_TOKEN,
    });
    url = `http://127.0.0.1:${await listeningPort(billing)}`;
  }, 60_000);

  afterAll(async () => {
    billing?.child.kill("SIGKILL");
    await billing?.exited;
    await server?.stop();
  });

  it("answers 503 with Retry-After during the outage, is not ready, and recovers by itself", async () => {
    const keys: string[] = [];
    for (let i = 0; i < LICENSES; i++) {
      const res = await fetch(`${url}/v1/admin/licenses`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({
          organization: `restart-${i}`,
          customerEmail: `ops@restart-${i}.test`,
          tier: "enterprise",
          provisioningType: "internal",
          maxContainers: "unlimited",
        }),
      });
      expect(res.status).toBe(201);
      keys.push(((await res.json()) as { licenseKey: string }).licenseKey);
    }

    let phase: Outcome["at"] = "before";
    let running = true;
    const outcomes: Outcome[] = [];
    const client = async (n: number) => {
      let token: string | undefined;
      while (running) {
        const request = token
          ? { path: "/v1/sessions/heartbeat", body: {}, auth: `Bearer ${token}` }
          : {
              path: "/v1/sessions/validate",
              body: { licenseKey: keys[n % LICENSES], containerId: `c-${n}`, containerType: "docker" },
            };
        const at = phase;
        try {
          const res = await fetch(`${url}${request.path}`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              ...(request.auth ? { authorization: request.auth } : {}),
            },
            body: JSON.stringify(request.body),
          });
          const body = (await res.json()) as {
            sessionToken?: string;
            status?: string;
            error?: { code: string };
          };
          if (res.status === 201) token = body.sessionToken;
          if (res.status === 401) token = undefined;
          outcomes.push({
            client: n,
            at,
            status: res.status,
            retryAfter: res.headers.get("retry-after"),
            ...(body.error ? { code: body.error.code } : {}),
            ...(body.status ? { session: body.status } : {}),
          });
        } catch {
          outcomes.push({ client: n, at, status: "connection_failed", retryAfter: null });
        }
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      }
    };
    const succeeded = (at: Outcome["at"]) =>
      new Set(
        outcomes.filter((o) => o.at === at && (o.status === 200 || o.status === 201)).map((o) => o.client),
      ).size === CLIENTS;
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    try {
      await waitFor("every client served before the restart", () => succeeded("before"));
      await server.restart(async () => {
        phase = "outage";
        await waitFor("/readyz to say not ready", async () => {
          const res = await fetch(`${url}/readyz`);
          const body = (await res.json()) as { status: string; checks: Record<string, string> };
          return res.status === 503 && body.status === "not_ready" && body.checks.database === "unreachable";
        });
        await waitFor("requests failing during the outage", () =>
          outcomes.some((o) => o.at === "outage" && o.status === 503),
        );
      });
      phase = "after";
      await waitFor("/readyz to say ready again", async () => (await fetch(`${url}/readyz`)).status === 200);
      await waitFor("every client served again after the restart", () => succeeded("after"));
    } finally {
      running = false;
      await Promise.all(clients);
    }

    expect(billing.child.exitCode).toBeNull();
    const failures = outcomes.filter(
      (o) => o.status === "connection_failed" || (o.status >= 500 && o.status !== 503),
    );
    expect(failures).toEqual([]);
    const unavailable = outcomes.filter((o) => o.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const o of unavailable) {
      expect(o.retryAfter, JSON.stringify(o)).toMatch(/^\d+$/);
      expect(o.code).toMatch(/^database_(unavailable|error)$/);
    }
    // The restart ended no session: every client kept its token (no 401) and no heartbeat said "expired".
    expect(outcomes.filter((o) => o.status === 401 || o.session === "expired")).toEqual([]);
    expect(outcomes.filter((o) => o.at === "after" && o.session === "ok").length).toBeGreaterThan(0);
  }, 120_000);
});
