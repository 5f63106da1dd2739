/**
 * The customer API's authentication and authorization against real PostgreSQL: the session cookie, its
 * idle and absolute ends, sign-out, CSRF on state changes, and the role check per organization.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../lib/clock.js";
import { testDatabase } from "../../../test-support/postgres/index.js";
import { migrate } from "../../db/migrate.js";
import { errorMiddleware } from "../../http/errors.js";
import {
  ABSOLUTE_LIFETIME_MS,
  endAccountSession,
  hashToken,
  IDLE_TIMEOUT_MS,
  sessionEndReason,
} from "../account-session.js";
import { signInForTest } from "../testing/sign-in.js";
import { accountOf, requireAccount, requireRole } from "./authenticate.js";

const PUBLIC = "https://licenses.coditect.test";
const clock = new ManualClock("2026-06-01T00:00:00Z");
let pool: pg.Pool;
let server: Server;
let base: string;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await testDatabase("account_auth"), max: 4 });
  await migrate(pool);
  const deps = { db: pool, clock, config: { publicBaseUrl: PUBLIC } };
  const app = express();
  app.use(express.json());
  const authed = express.Router();
  authed.use(requireAccount(deps));
  authed.get("/me", (req, res) => void res.json({ email: accountOf(req).email, csrf: req.accountCsrfToken }));
  authed.post("/me", (req, res) => void res.json({ changed: accountOf(req).email }));
  authed.get(
    "/orgs/:organization/view",
    requireRole(deps, "viewer"),
    (req, res) => void res.json({ role: req.accountRole }),
  );
  authed.post(
    "/orgs/:organization/admin",
    requireRole(deps, "admin"),
    (req, res) => void res.json({ role: req.accountRole }),
  );
  app.use(authed);
  app.use(errorMiddleware);
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await pool.end();
});

const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}${path}`, { method, headers, body: method === "GET" ? undefined : "{}" });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe("the session cookie", () => {
  it("refuses a request without a session, and with an unknown token, as 401 not_signed_in", async () => {
    for (const headers of [{}, { cookie: "coditect_account=not-a-session" }] as Record<string, string>[]) {
      const res = await call("GET", "/me", headers);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("not_signed_in");
    }
  });

  it("lets a signed-in person read, and ends the session when idle, after its lifetime, or at sign-out", async () => {
    const alice = await signInForTest(pool, "Alice@Example.com", clock.now());
    expect(alice.email).toBe("alice@example.com");
    // The CSRF token the server can hand its pages is the one the sign-in returned.
    expect((await call("GET", "/me", { cookie: alice.cookie })).body).toEqual({
      email: "alice@example.com",
      csrf: alice.csrfToken,
    });

    clock.advance(IDLE_TIMEOUT_MS - 60_000); // used just before the idle timeout: still on, and touched
    expect((await call("GET", "/me", { cookie: alice.cookie })).status).toBe(200);
    clock.advance(IDLE_TIMEOUT_MS - 60_000);
    expect((await call("GET", "/me", { cookie: alice.cookie })).status).toBe(200);
    clock.advance(IDLE_TIMEOUT_MS + 1);
    expect((await call("GET", "/me", { cookie: alice.cookie })).status).toBe(401);

    const bob = await signInForTest(pool, "bob@example.com", clock.now());
    await endAccountSession(pool, hashToken(bob.cookie.split("=")[1]!), clock.now());
    expect((await call("GET", "/me", { cookie: bob.cookie })).status).toBe(401);
  });

  it("decides the end of a session from its times (pure)", () => {
    const now = new Date("2026-06-10T00:00:00Z");
    const at = (ms: number) => new Date(now.getTime() + ms);
    expect(
      sessionEndReason({ ended_at: null, expires_at: at(1), last_seen_at: at(-1) }, now),
    ).toBeUndefined();
    expect(sessionEndReason({ ended_at: at(-5), expires_at: at(1), last_seen_at: at(-1) }, now)).toBe(
      "signed_out",
    );
    expect(sessionEndReason({ ended_at: null, expires_at: now, last_seen_at: at(-1) }, now)).toBe("expired");
    expect(
      sessionEndReason(
        { ended_at: null, expires_at: at(ABSOLUTE_LIFETIME_MS), last_seen_at: at(-IDLE_TIMEOUT_MS) },
        now,
      ),
    ).toBe("idle");
  });
});

describe("CSRF on state changes", () => {
  it("needs the session's token in X-CSRF-Token and refuses another origin, as 403 csrf_failed", async () => {
    const carol = await signInForTest(pool, "carol@example.com", clock.now());
    const other = await signInForTest(pool, "dave@example.com", clock.now());
    const cases: [Record<string, string>, RegExp][] = [
      [{ cookie: carol.cookie }, /header is missing/],
      [{ cookie: carol.cookie, "x-csrf-token": other.csrfToken }, /does not match/],
      [{ ...carol.headers, origin: "https://evil.example" }, /origin "https:\/\/evil.example"/],
    ];
    for (const [headers, message] of cases) {
      const res = await call("POST", "/me", headers);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("csrf_failed");
      expect(res.body.error.message).toMatch(message);
    }
    expect((await call("POST", "/me", carol.headers)).status).toBe(200);
    expect((await call("POST", "/me", { ...carol.headers, origin: PUBLIC })).status).toBe(200);
  });
});

describe("roles per organization", () => {
  it("hides organizations from non-members (404) and names the role needed (403)", async () => {
    const owner = await signInForTest(pool, "owner@acme.test", clock.now(), {
      organization: "acme",
      role: "owner",
    });
    const viewer = await signInForTest(pool, "viewer@acme.test", clock.now(), {
      organization: "acme",
      role: "viewer",
    });
    const outsider = await signInForTest(pool, "eve@elsewhere.test", clock.now());

    expect((await call("GET", "/orgs/acme/view", { cookie: viewer.cookie })).body).toEqual({
      role: "viewer",
    });
    const denied = await call("POST", "/orgs/acme/admin", viewer.headers);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: "forbidden",
      message: 'this needs the admin role (or higher) in "acme"; you are a viewer',
    });
    expect((await call("POST", "/orgs/acme/admin", owner.headers)).body).toEqual({ role: "owner" });
    const hidden = await call("GET", "/orgs/acme/view", { cookie: outsider.cookie });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe("organization_not_found");
  });
});
