/**
 * Issue 12, "Done when": hostile requests to every operation in openapi.yaml — strings with NUL, lone
 * surrogates and injection text, wrong types, huge values, wrong content types, malformed JSON, bad ids
 * and tokens — never get a 5xx and change nothing (every table of the real PostgreSQL database and the
 * fake Stripe's objects are compared before and after). Each generated request carries at least one value
 * no schema accepts, so a mutation answering 2xx is a failure too.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type BillingHarness, startBillingHarness, TEST_WEBHOOK_SECRET } from "./testing/harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const RUNS_PER_OPERATION = 60;
/** Source of distinct client addresses for the public routes (see the request loop). */
let clientNumber = 0;
/** `Bearer <Google ID token>` of the harness's admin, minted once the harness runs. */
let adminAuthorization = "";

type Node = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  query: string[];
  bodyFields: string[];
  admin: boolean;
  sessionToken: boolean;
}

function operations(): Operation[] {
  const doc = parse(readFileSync(join(here, "openapi.yaml"), "utf8")) as Node;
  const resolve = (node: unknown): Node => {
    const ref = (node as { $ref?: string } | undefined)?.$ref;
    if (!ref) return (node ?? {}) as Node;
    return resolve(
      ref
        .slice(2)
        .split("/")
        .reduce<unknown>((n, key) => (n as Node)[key], doc),
    );
  };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Node>)) {
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const op = item[method] as Node | undefined;
      if (!op) continue;
      const parameters = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])]
        .map(resolve)
        .filter((p) => p.in === "query")
        .map((p) => String(p.name));
      const body = resolve(op.requestBody);
      const schema = resolve(
        ((body.content as Node | undefined)?.["application/json"] as Node | undefined)?.schema,
      );
      const security = JSON.stringify(op.security ?? []);
      ops.push({
        method: method.toUpperCase(),
        path,
        query: parameters,
        bodyFields: Object.keys((schema.properties as Node | undefined) ?? {}),
        admin: security.includes("adminToken"),
        sessionToken: security.includes("sessionToken"),
      });
    }
  }
  return ops;
}

const NUL = "\u0000";
const nastyStrings = fc.constantFrom(
  NUL,
  `a${NUL}b`,
  "",
  " ",
  "\ud800",
  "' OR 1=1 --",
  "'; DROP TABLE licenses; --",
  "../../etc/passwd",
  "%00",
  "__proto__",
  "constructor",
  "<script>alert(1)</script>",
  "\r\nX-Injected: 1",
  "💥".repeat(50),
  "CODITECT-PRO-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "cs_test_fuzz",
  "00000000-0000-0000-0000-000000000000",
  "0000-01-01T00:00:00Z",
  "+275760-09-13T00:00:00Z",
  "unlimited",
  "-1",
  "1e400",
);
const hostileString = fc.oneof(
  nastyStrings,
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ maxLength: 10 }).map((s) => `${s}${NUL}${s}`),
  fc.integer({ min: 1_000, max: 120_000 }).map((n) => "x".repeat(n)),
);
const hostileScalar = fc.oneof(
  hostileString,
  fc.integer(),
  fc.constantFrom(1e308, -1e308, -1, 0, -0, 0.5, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER),
  fc.boolean(),
  fc.constant(null),
);
const hostileValue = fc.oneof(
  hostileScalar,
  fc.array(hostileScalar, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), hostileScalar, { maxKeys: 3 }),
);
/** A value no field of the API accepts: an object where a scalar belongs, or a string with NUL. */
const poison = fc.oneof(
  fc.constant({ $gt: "" }),
  fc.constant([[{}]]),
  fc.string({ maxLength: 10 }).map((s) => `${s}${NUL}`),
);
/** Printable header values (fetch refuses control characters in headers itself). */
const headerValue = fc.oneof(
  fc.constantFrom(
    "",
    "x",
    "Bearer",
    "Bearer ",
    "Bearer cst_x",
    "Bearer ' OR 1=1",
    `Bearer ${"a".repeat(9_000)}`,
  ),
  fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e]( ?[\x21-\x7e])*$/.test(s)),
);

/** Percent-encodes a path segment; a lone surrogate becomes the invalid UTF-8 `%ED%A0%80` (hostile too). */
function pathSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.toWellFormed()).replaceAll("%EF%BF%BD", "%ED%A0%80");
  }
}

/**
 * A valid request per operation (with the fixtures' license id, key and session token), so one poisoned
 * field is all that is wrong with it: the schema checks cannot hide a field that reaches the database.
 */
interface Base {
  body?: Record<string, unknown>;
  query?: Record<string, string>;
  auth?: "admin" | "session";
  /** Webhooks: signed with the webhook secret, so only the envelope is wrong. */
  signed?: boolean;
}
const BASES: Record<string, Base> = {
  "POST /v1/checkout": {
    body: {
      organization: "fuzz-co",
      customerEmail: "ops@fuzz.test",
      items: [{ product: "pro", quantity: 1 }],
    },
  },
  "GET /v1/checkout/success": { query: { session_id: "cs_test_fuzz" } },
  "GET /v1/admin/licenses": {
    auth: "admin",
    query: { customerEmail: "ops@fuzz.test", organization: "fuzz-co", state: "active", limit: "5" },
  },
  "POST /v1/admin/licenses": {
    auth: "admin",
    body: {
      organization: "fuzz-co",
      customerEmail: "ops@fuzz.test",
      tier: "pro",
      provisioningType: "trial",
      durationDays: 30,
      notes: "fuzz",
    },
  },
  "GET /v1/admin/licenses/{id}": { auth: "admin" },
  "DELETE /v1/admin/licenses/{id}": { auth: "admin", body: { reason: "fuzz" } },
  "POST /v1/admin/licenses/{id}/revoke": { auth: "admin", body: { reason: "fuzz" } },
  "POST /v1/admin/licenses/{id}/suspend": { auth: "admin", body: { reason: "fuzz" } },
  "POST /v1/admin/licenses/{id}/reinstate": { auth: "admin", body: { reason: "fuzz" } },
  "POST /v1/admin/licenses/{id}/rotate-key": { auth: "admin", body: { reason: "fuzz" } },
  "POST /v1/admin/licenses/{id}/extend": { auth: "admin", body: { days: 1, reason: "fuzz" } },
  "PATCH /v1/admin/licenses/{id}/overrides": { auth: "admin", body: { seats: 2, reason: "fuzz" } },
  "GET /v1/admin/audit-events": {
    auth: "admin",
    query: { action: "license.created", actor: "admin", from: "2026-01-01T00:00:00Z", limit: "5" },
  },
  "POST /v1/webhooks/stripe": {
    signed: true,
    body: {
      id: "evt_fuzz",
      type: "customer.tax_id.created",
      created: 1_780_000_000,
      data: { object: { id: "x" } },
    },
  },
  "POST /v1/sessions/validate": {
    body: { licenseKey: "<key>", containerId: "fuzz-1", containerType: "docker", hostname: "fuzz-host" },
  },
  "POST /v1/sessions/heartbeat": {
    auth: "session",
    body: { cpuPercent: 1, memoryBytes: 1, uptimeSeconds: 1 },
  },
  "POST /v1/sessions/users/join": { auth: "session", body: { user: "dev@fuzz.test" } },
  "POST /v1/sessions/users/leave": { auth: "session", body: { user: "dev@fuzz.test" } },
};

interface Fixtures {
  licenseId: string;
  licenseKey: string;
  sessionToken: string;
}

/** A value the poisoned field cannot take: NUL in it, a wrong type, or more than the body limit. */
function poisonFor(value: unknown): fc.Arbitrary<unknown> {
  const text = typeof value === "string" ? value : String(value);
  return fc.oneof(
    fc.constantFrom(`${text}${NUL}`, `${NUL}${text}`, `${text.slice(0, 1)}${NUL}${text.slice(1)}`, NUL),
    fc.constantFrom({ $gt: "" }, [[{}]], [text], true),
    fc.constant("x".repeat(150_000)),
  );
}

function nearValid(op: Operation, base: Base, fixtures: Fixtures): fc.Arbitrary<Generated> {
  const fill = (v: unknown) => (v === "<key>" ? fixtures.licenseKey : v);
  const body = Object.fromEntries(Object.entries(base.body ?? {}).map(([k, v]) => [k, fill(v)]));
  const query = base.query ?? {};
  const targets = [
    ...Object.keys(body).map((k) => ({ in: "body" as const, key: k })),
    ...Object.keys(query).map((k) => ({ in: "query" as const, key: k })),
  ];
  const auth =
    base.auth === "admin"
      ? adminAuthorization
      : base.auth === "session"
        ? `Bearer ${fixtures.sessionToken}`
        : undefined;
  if (targets.length === 0) return requestFor(op, fixtures);
  return fc
    .constantFrom(...targets)
    .chain((target) =>
      poisonFor(target.in === "body" ? body[target.key] : query[target.key]).map((bad) => ({ target, bad })),
    )
    .map(({ target, bad }) => {
      const poisonedQuery: [string, string | string[]][] = Object.entries(query).map(([k, v]) => [
        k,
        k === target.key && target.in === "query"
          ? Array.isArray(bad)
            ? [v, v]
            : typeof bad === "string"
              ? bad.slice(0, 10_000)
              : JSON.stringify(bad)
          : v,
      ]);
      return {
        id: fixtures.licenseId,
        query: poisonedQuery,
        body: target.in === "body" ? { ...body, [target.key]: bad } : body,
        encoding: "json" as const,
        auth,
        headers: {},
        signed: base.signed ?? false,
        poisoned: true,
      };
    });
}

type Encoding = "json" | "malformed_json" | "text_plain" | "form" | "json_utf16" | "none";

interface Generated {
  id: string;
  query: [string, string | string[]][];
  body: unknown;
  encoding: Encoding;
  auth: string | undefined;
  headers: Record<string, string>;
  signed: boolean;
  /** Set by nearValid: the request must be refused (a 2xx would mean the poison got through). */
  poisoned?: boolean;
}

function requestFor(op: Operation, fixtures: Fixtures): fc.Arbitrary<Generated> {
  const licenseId = fixtures.licenseId;
  const fields = [...op.bodyFields, "extra", "__proto__"];
  const body = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.dictionary(fc.constantFrom(...fields), hostileValue, { maxKeys: 4 }),
          fc.constantFrom(...fields),
          poison,
        )
        .map(([object, field, bad]) => ({ ...object, [field]: bad })),
    },
    { weight: 1, arbitrary: hostileValue },
  );
  const queryNames = [...op.query, "x", "limit"];
  return fc.record({
    id: fc.oneof(
      fc.constant(licenseId),
      hostileString.filter((s) => s.length < 2_000),
    ),
    query: fc.array(
      fc.tuple(
        fc.constantFrom(...queryNames),
        fc.oneof(
          hostileString.filter((s) => s.length < 5_000),
          fc.array(fc.constantFrom("1", `${NUL}`, "a"), { maxLength: 3 }),
        ),
      ),
      { maxLength: 3 },
    ),
    body,
    encoding: fc.constantFrom<Encoding>(
      "json",
      "json",
      "json",
      "malformed_json",
      "text_plain",
      "form",
      "json_utf16",
      "none",
    ),
    auth: fc.oneof(
      fc.constant(op.admin ? adminAuthorization : undefined),
      fc.constant(op.admin ? adminAuthorization : undefined),
      headerValue,
      fc.constant(undefined),
    ),
    headers: fc.dictionary(
      fc.constantFrom("idempotency-key", "x-admin-actor", "stripe-signature", "x-request-id", "accept"),
      headerValue,
      { maxKeys: 3 },
    ),
    signed: fc.boolean(),
  });
}

function encode(g: Generated): { contentType: string | undefined; payload: string | undefined } {
  const json = JSON.stringify(g.body) ?? "null";
  switch (g.encoding) {
    case "json":
      return { contentType: "application/json", payload: json };
    case "malformed_json":
      return { contentType: "application/json", payload: `${json.slice(0, -1)}{` };
    case "text_plain":
      return { contentType: "text/plain", payload: json };
    case "form":
      return {
        contentType: "application/x-www-form-urlencoded",
        payload: `reason=${encodeURIComponent(json)}`,
      };
    case "json_utf16":
      return { contentType: "application/json; charset=utf-16", payload: json };
    case "none":
      return { contentType: undefined, payload: undefined };
  }
}

describe("fuzzing every operation of openapi.yaml", () => {
  let h: BillingHarness;
  let fixtures: Fixtures;
  const signer = new Stripe("sk_test_signer");

  const state = async () => {
    const tables = (
      await h.pool.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      )
    ).rows
      .map((r) => r.tablename)
      // Rate-limit windows count every request, bad ones included, by design (ADR 0160): not state.
      .filter((t) => t !== "rate_limit_windows");
    const rows: Record<string, string> = {};
    for (const table of tables) {
      const r = await h.pool.query<{ digest: string }>(
        `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS digest FROM "${table}" t`,
      );
      rows[table] = r.rows[0]!.digest;
    }
    return {
      rows,
      stripe: { customers: h.fake.store.customers.size, sessions: h.fake.store.sessions.size },
    };
  };

  beforeAll(async () => {
    h = await startBillingHarness();
    // A verified admin (ADR 0165): the break-glass token would leave an audit row on every use, which
    // this test counts as a state change.
    adminAuthorization = await h.adminAuthorization();
    const res = await h.admin("POST", "/licenses", {
      organization: "fuzz-co",
      customerEmail: "ops@fuzz.test",
      tier: "pro",
      provisioningType: "trial",
      durationDays: 30,
      notes: "the license the fuzzer aims at",
    });
    const created = (await res.json()) as { license: { id: string }; licenseKey: string };
    const session = await fetch(`${h.url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        licenseKey: created.licenseKey,
        containerId: "fuzz-0",
        containerType: "docker",
        maxUsers: 5,
      }),
    });
    expect(session.status).toBe(201);
    fixtures = {
      licenseId: created.license.id,
      licenseKey: created.licenseKey,
      sessionToken: ((await session.json()) as { sessionToken: string }).sessionToken,
    };
  });
  afterAll(() => h.stop());

  const ops = operations();
  const arbitraryFor = (op: Operation): fc.Arbitrary<Generated> => {
    const base = BASES[`${op.method} ${op.path}`];
    const random = requestFor(op, fixtures);
    return base
      ? fc.oneof({ weight: 2, arbitrary: nearValid(op, base, fixtures) }, { weight: 1, arbitrary: random })
      : random;
  };
  it("finds every documented operation", () => {
    expect(ops.length).toBeGreaterThanOrEqual(20);
    expect(ops.map((o) => `${o.method} ${o.path}`)).toContain("POST /v1/webhooks/stripe");
  });

  for (const op of ops) {
    it(`${op.method} ${op.path}: no 5xx, no state change`, async () => {
      const before = await state();
      await fc.assert(
        fc.asyncProperty(arbitraryFor(op), async (g) => {
          const path = op.path.replace("{id}", pathSegment(g.id));
          const search = new URLSearchParams();
          for (const [name, value] of g.query) {
            for (const v of [value].flat()) search.append(name, v);
          }
          const { contentType, payload } = encode(g);
          const headers: Record<string, string> = { ...g.headers };
          // Public routes: each request arrives through the load balancer from its own client address, so
          // the per-IP limits (issue 13) do not turn the fuzzing into 429s before validation is reached.
          // Admin routes stay direct: through the load balancer they are refused before any validation.
          if (
            !op.path.startsWith("/v1/admin") &&
            !Object.keys(headers).some((k) => k.toLowerCase() === "x-forwarded-for")
          ) {
            clientNumber += 1;
            headers["x-forwarded-for"] =
              `10.${(clientNumber >> 8) & 255}.${clientNumber & 255}.7, 130.211.0.1`;
          }
          if (g.auth !== undefined) headers.authorization = g.auth;
          if (contentType) headers["content-type"] = contentType;
          if (op.path === "/v1/webhooks/stripe" && g.signed && payload !== undefined) {
            // Authentic deliveries of hostile envelopes: the signature is right, the body is not.
            headers["stripe-signature"] = signer.webhooks.generateTestHeaderString({
              payload,
              secret: TEST_WEBHOOK_SECRET,
              timestamp: Math.floor(h.clock.now().getTime() / 1000),
            });
          }
          const hasBody = op.method !== "GET" && payload !== undefined;
          const res = await fetch(`${h.url}${path}${search.size ? `?${search}` : ""}`, {
            method: op.method,
            headers,
            ...(hasBody ? { body: payload } : {}),
          });
          const text = await res.text();
          expect(res.status, `${op.method} ${path} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
          if (op.method !== "GET" && (g.poisoned || op.bodyFields.length > 0)) {
            expect(
              res.status,
              `${op.method} ${path} accepted a poisoned body: ${text.slice(0, 300)}`,
            ).toBeGreaterThanOrEqual(400);
          }
          if (res.status >= 400 && text) {
            expect(JSON.parse(text)).toEqual({
              error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
            });
          }
        }),
        { numRuns: RUNS_PER_OPERATION },
      );
      expect(await state()).toEqual(before);
    });
  }
});
