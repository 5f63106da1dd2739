/**
 * The webhook's cost per event (issue 18 goal 6, ADR 0290): an event type billing does not act on is
 * recorded with one statement and no transaction, duplicates included; the types it acts on are exactly
 * the handler table's; a delivery writes one log line (the request's) carrying the event.
 */
import type { AddressInfo } from "node:net";
import pg from "pg";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { countingDb } from "../../test-support/counting-db.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { jsonLineSink } from "../../test-support/log-lines.js";
import { testDatabase } from "../../test-support/postgres/index.js";
import { createApp } from "../app.js";
import { buildCatalog } from "../catalog.js";
import { loadConfig } from "../config.js";
import { migrate } from "../db/migrate.js";
import type { BillingDeps } from "../deps.js";
import { createHttpServer } from "../http/node-server.js";
import { createLogger } from "../ops/logger.js";
import { isHandledEventType } from "./handlers.js";
import { processStripeEvent } from "./process-event.js";

const SECRET = "whsec_process_event_test";
const clock = new ManualClock("2026-06-01T00:00:00Z");
const config = loadConfig({
  STRIPE_SECRET_KEY: "sk_test_process_event",
  STRIPE_WEBHOOK_SECRET: SECRET,
  ...fakeStripePriceEnv(),
  ADMIN_TOKEN: "process-event-admin-token-0123456789abcdef",
  // Nothing listens here: a handler that calls Stripe fails, which one test relies on.
  STRIPE_API_URL: "http://127.0.0.1:9",
  LOG_LEVEL: "info",
});
const catalog = buildCatalog(config.priceIds);
const unknownEvent = (id: string) =>
  ({
    id,
    object: "event",
    type: "customer.tax_id.updated",
    created: Math.floor(clock.now().getTime() / 1000),
    data: { object: { id: `txi_${id}`, object: "tax_id" } },
  }) as unknown as Stripe.Event;

describe("processStripeEvent", () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await testDatabase("process_event"), max: 4 });
    await migrate(pool);
  });
  afterAll(() => pool.end());

  const depsWith = (db: BillingDeps["db"], logger = createLogger("silent")): BillingDeps => ({
    config,
    db,
    stripe: new Stripe("sk_test_process_event", {
      host: "127.0.0.1",
      port: 9,
      protocol: "http",
      maxNetworkRetries: 0,
    }),
    clock,
    logger,
    metrics: new Registry(),
  });

  it("records an event billing does not act on with one INSERT and no transaction; a redelivery is a duplicate", async () => {
    const counted = countingDb(pool);
    const deps = depsWith(counted.db);
    const first = await processStripeEvent(deps, catalog, unknownEvent("evt_unknown_1"));
    expect(first).toEqual({ outcome: "ignored", licenseIds: [], duplicate: false });
    expect(counted.statements()).toHaveLength(1);
    expect(counted.statements()[0]).toMatch(/^\s*INSERT INTO stripe_events/);
    const row = await pool.query(
      "SELECT type, outcome, object_id, created_at FROM stripe_events WHERE id = $1",
      ["evt_unknown_1"],
    );
    expect(row.rows).toEqual([
      {
        type: "customer.tax_id.updated",
        outcome: "ignored",
        object_id: "txi_evt_unknown_1",
        created_at: clock.now(),
      },
    ]);

    counted.reset();
    const again = await processStripeEvent(deps, catalog, unknownEvent("evt_unknown_1"));
    expect(again).toEqual({ outcome: "duplicate", licenseIds: [], duplicate: true });
    expect(counted.statements()).toHaveLength(1);
    const count = await pool.query("SELECT count(*)::int AS n FROM stripe_events WHERE id = 'evt_unknown_1'");
    expect(count.rows[0].n).toBe(1);
  });

  it("concurrent deliveries of one unknown event: exactly one is recorded, the others are duplicates", async () => {
    const deps = depsWith(pool);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => processStripeEvent(deps, catalog, unknownEvent("evt_unknown_race"))),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(results.filter((r) => r.duplicate)).toHaveLength(5);
  });

  it("a handled type still runs in a transaction with its ledger row", async () => {
    const counted = countingDb(pool);
    const event = {
      ...unknownEvent("evt_sub_before_fulfilment"),
      type: "customer.subscription.updated",
      data: { object: { id: "sub_not_fulfilled", object: "subscription" } },
    } as unknown as Stripe.Event;
    const result = await processStripeEvent(depsWith(counted.db), catalog, event);
    expect(result.outcome).toBe("before_fulfilment");
    const sent = counted.statements();
    expect(sent[0]).toBe("BEGIN");
    expect(sent.at(-1)).toBe("COMMIT");
    expect(sent.some((s) => s.includes("pg_advisory_xact_lock"))).toBe(true);
  });
});

describe("isHandledEventType", () => {
  it("is true for every type billing acts on and false for others, prototype names included", () => {
    for (const type of [
      "checkout.session.completed",
      "checkout.session.expired",
      "customer.subscription.created",
      "customer.subscription.updated",
      "customer.subscription.deleted",
      "customer.subscription.trial_will_end",
      "invoice.paid",
      "invoice.payment_failed",
      "invoice.payment_action_required",
      "charge.refunded",
      "charge.dispute.created",
      "charge.dispute.updated",
      "charge.dispute.closed",
    ]) {
      expect(isHandledEventType(type), type).toBe(true);
    }
    for (const type of [
      "customer.tax_id.updated",
      "invoice.created",
      "toString",
      "constructor",
      "__proto__",
    ]) {
      expect(isHandledEventType(type), type).toBe(false);
    }
  });
});

describe("webhook log lines", () => {
  let pool: pg.Pool;
  let url: string;
  let close: () => Promise<void>;
  const sink = jsonLineSink();
  const signer = new Stripe("sk_test_signer");
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await testDatabase("process_event_log"), max: 4 });
    await migrate(pool);
    const logger = createLogger("info", sink.stream);
    const deps: BillingDeps = {
      config,
      db: pool,
      stripe: new Stripe("sk_test_process_event", {
        host: "127.0.0.1",
        port: 9,
        protocol: "http",
        maxNetworkRetries: 0,
      }),
      clock,
      logger,
      metrics: new Registry(),
    };
    const server = createHttpServer(createApp(deps), logger).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/stripe`;
    close = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await pool.end();
    };
  });
  afterAll(() => close());

  const send = (event: object) => {
    const payload = JSON.stringify(event);
    return fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "stripe-signature": signer.webhooks.generateTestHeaderString({
          payload,
          secret: SECRET,
          timestamp: Math.floor(clock.now().getTime() / 1000),
        }),
      },
      body: payload,
    });
  };
  const linesOf = (eventId: string) =>
    sink.lines.filter((l) => l.eventId === eventId || JSON.stringify(l).includes(eventId));

  it("a delivery writes one line, the request's, naming the event, its type and outcome", async () => {
    const res = await send(unknownEvent("evt_logged_once"));
    expect(res.status).toBe(200);
    await expect.poll(() => linesOf("evt_logged_once").length).toBe(1);
    expect(linesOf("evt_logged_once")[0]).toMatchObject({
      message: "request",
      path: "/v1/webhooks/stripe",
      status: 200,
      eventId: "evt_logged_once",
      type: "customer.tax_id.updated",
      outcome: "ignored",
    });
  });

  it("a delivery that fails: its lines name the event; the request line is an ERROR without an outcome", async () => {
    // invoice.paid refetches the invoice from Stripe, which is unreachable here.
    const res = await send({
      ...unknownEvent("evt_logged_failure"),
      type: "invoice.paid",
      data: { object: { id: "in_unreachable", object: "invoice" } },
    });
    expect(res.status).toBeGreaterThanOrEqual(500);
    await expect.poll(() => linesOf("evt_logged_failure").some((l) => l.message === "request")).toBe(true);
    const request = linesOf("evt_logged_failure").find((l) => l.message === "request")!;
    expect(request).toMatchObject({ severity: "ERROR", eventId: "evt_logged_failure", type: "invoice.paid" });
    expect(request).not.toHaveProperty("outcome");
  });
});
