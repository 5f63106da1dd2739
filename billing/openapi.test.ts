/**
 * The OpenAPI document and the Express app must agree: every route the app serves is documented, and
 * every documented operation is served. Sub-areas may add `billing/<area>/openapi.yaml` fragments (paths only).
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { systemClock } from "../lib/clock.js";
import { fakeStripePriceEnv } from "../test-support/fake-stripe/index.js";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import type { Db } from "./deps.js";
import { ingressPathMatches, isInternalPath, PUBLIC_ROUTES } from "./http/public-routes.js";

const here = dirname(fileURLToPath(import.meta.url));
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, unknown>;
};
const HTTP_METHODS = ["get", "post", "put", "patch", "delete"];

function documentedOperations(): Set<string> {
  const files = [join(here, "openapi.yaml")];
  for (const entry of readdirSync(here, { withFileTypes: true })) {
    const fragment = join(here, entry.name, "openapi.yaml");
    if (entry.isDirectory() && existsSync(fragment)) files.push(fragment);
  }
  const ops = new Set<string>();
  for (const file of files) {
    const doc = parse(readFileSync(file, "utf8")) as OpenApi;
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of Object.keys(item).filter((m) => HTTP_METHODS.includes(m)))
        ops.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return ops;
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: RouterLayer[] };
  rawPath?: string;
}

function servedOperations(stack: RouterLayer[], prefix = ""): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = `${prefix}${layer.route.path}`.replace(/:(\w+)/g, "{$1}");
      return Object.keys(layer.route.methods)
        .filter((m) => m !== "_all")
        .map((m) => `${m.toUpperCase()} ${path}`);
    }
    if (layer.handle.stack) {
      const mount = typeof layer.rawPath === "string" && layer.rawPath !== "/" ? layer.rawPath : "";
      return servedOperations(layer.handle.stack, `${prefix}${mount}`);
    }
    return [];
  });
}

describe("openapi.yaml", () => {
  const config = loadConfig({
    STRIPE_SECRET_KEY: "sk_test_x",
    STRIPE_WEBHOOK_SECRET: "whsec_x",
    ...fakeStripePriceEnv(),
    ADMIN_TOKEN: "x".repeat(32),
  });
  const app = createApp({
    config,
    db: {} as Db,
    stripe: new Stripe("sk_test_x"),
    clock: systemClock,
    logger: pino({ level: "silent" }),
    metrics: new Registry(),
  });
  const served = servedOperations((app as unknown as { router: { stack: RouterLayer[] } }).router.stack);
  const documented = documentedOperations();
  // The account pages (/account/*, issue 17) are HTML for browsers, not API operations: not in openapi.yaml.
  const isPage = (op: string) => /^\w+ \/account(\/|$)/.test(op);
  const servedApi = served.filter((op) => !isPage(op));

  it("finds the app's routes", () => {
    expect(served).toContain("POST /v1/webhooks/stripe");
    expect(served).toContain("PATCH /v1/admin/licenses/{id}/overrides");
    expect(served).toContain("GET /account/sign-in");
  });

  it("documents every route the app serves", () => {
    expect(servedApi.filter((op) => !documented.has(op))).toEqual([]);
  });

  it("documents nothing the app does not serve", () => {
    expect([...documented].filter((op) => !servedApi.includes(op))).toEqual([]);
  });

  it("classifies every served route as public (in the Ingress) or internal, never both", () => {
    const concrete = (op: string) => op.split(" ")[1]!.replace(/\{(\w+)\}/g, "x");
    const unclassified = served.filter((op) => {
      const path = concrete(op);
      const isPublic = PUBLIC_ROUTES.some((r) => ingressPathMatches(r, path));
      return isPublic === isInternalPath(path);
    });
    expect(unclassified).toEqual([]);
    // Every public route is really served (a typo in PUBLIC_ROUTES would leave customers with a 404).
    for (const route of PUBLIC_ROUTES) {
      expect(
        served.some((op) => ingressPathMatches(route, concrete(op))),
        route.path,
      ).toBe(true);
    }
  });

  it("is OpenAPI 3.1 and every $ref resolves", () => {
    const raw = readFileSync(join(here, "openapi.yaml"), "utf8");
    const doc = parse(raw) as OpenApi;
    expect(doc.openapi).toBe("3.1.0");
    for (const match of raw.matchAll(/\$ref: "#\/([^"]+)"/g)) {
      const target = match[1]!
        .split("/")
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect(target, match[1]).toBeDefined();
    }
  });
});
