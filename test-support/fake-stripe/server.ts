/**
 * Test infrastructure: a small stateful fake of the Stripe API endpoints billing calls (customers, Checkout
 * Sessions + line items + expire, subscriptions retrieve/update/cancel, invoices, charges, prices, disputes,
 * billing portal sessions), speaking Stripe's
 * wire format (form-encoded bodies, Bearer secret key, Idempotency-Key replay, Stripe-shaped errors), so
 * the real Stripe SDK runs against it. `/_fake/*` endpoints simulate Stripe's side (a customer completing
 * checkout, renewals, failed payments, refunds) and deliver correctly signed webhooks with retries.
 * NOT Stripe: no validation beyond what the tests and the local sandbox need.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { PRODUCT_NAMES, type ProductName } from "../../billing/config.js";
import { WORKSTATION_TIERS } from "../../lib/domain.js";
import { parseForm } from "./form.js";
import { lifecycleRoutes } from "./lifecycle-routes.js";
import { type FakePrice, FakeStripeError, FakeStripeStore } from "./store.js";
import { type DeliveryOptions, type DeliveryResult, deliverEvent, type WebhookTarget } from "./webhooks.js";

/**
 * The price ids the fake seeds, one per product. Billing has no default price ids (a made-up id would only
 * fail at the first real checkout), so every run against the fake passes these explicitly:
 * `fakeStripePriceEnv()` gives them as billing's STRIPE_PRICE_* variables.
 */
export const FAKE_PRICE_IDS: Record<ProductName, string> = Object.fromEntries(
  PRODUCT_NAMES.map((p) => [p, `price_fake_${p}_monthly`]),
) as Record<ProductName, string>;

/** FAKE_PRICE_IDS as billing's environment (STRIPE_PRICE_<PRODUCT>). */
export function fakeStripePriceEnv(): Record<string, string> {
  return Object.fromEntries(PRODUCT_NAMES.map((p) => [`STRIPE_PRICE_${p.toUpperCase()}`, FAKE_PRICE_IDS[p]]));
}

/** Fake list prices for the default catalog (license tier prices are test values, not product prices). */
export const DEFAULT_FAKE_PRICES: FakePrice[] = [
  { id: FAKE_PRICE_IDS.starter, unitAmount: 1_900, productName: "starter" },
  { id: FAKE_PRICE_IDS.pro, unitAmount: 4_900, productName: "pro" },
  { id: FAKE_PRICE_IDS.enterprise, unitAmount: 14_900, productName: "enterprise" },
  {
    id: FAKE_PRICE_IDS.standard,
    unitAmount: WORKSTATION_TIERS.standard.monthlyPriceUsdCents,
    productName: "standard",
  },
  {
    id: FAKE_PRICE_IDS.power,
    unitAmount: WORKSTATION_TIERS.power.monthlyPriceUsdCents,
    productName: "power",
  },
  { id: FAKE_PRICE_IDS.ai, unitAmount: WORKSTATION_TIERS.ai.monthlyPriceUsdCents, productName: "ai" },
];

export interface FakeStripeOptions {
  port?: number;
  host?: string;
  prices?: FakePrice[];
  /** Where to deliver webhooks; unset → events are only recorded (store.events). */
  webhook?: WebhookTarget;
  now?: () => Date;
  delivery?: DeliveryOptions;
}

/**
 * A fault the fake injects into Stripe API calls (not the /_fake/* controls): `hang` accepts the request
 * and never answers (a hung Stripe), for the calls matching `path` (a regular expression source; all when
 * absent). Also settable over HTTP: POST /_fake/fault `{"kind":"hang","path":"^/v1/customers"}`; `{}` clears.
 */
export interface FakeStripeFault {
  kind: "hang";
  path?: string;
}

export interface FakeStripe {
  url: string;
  port: number;
  store: FakeStripeStore;
  /** A Stripe SDK client pointed at this fake. */
  client(secretKey?: string): Stripe;
  setWebhookTarget(target: WebhookTarget | undefined): void;
  /** Injects (or clears, with undefined) a fault into the API calls that follow. */
  setFault(fault: FakeStripeFault | undefined): void;
  /** API calls the current fault has swallowed so far (reset by setFault). */
  faultedRequests(): number;
  /** Resolves when every queued webhook delivery has finished; returns all delivery results so far. */
  settled(): Promise<DeliveryResult[]>;
  stop(): Promise<void>;
}

type Handler = (params: string[], body: Record<string, unknown>, query: URLSearchParams) => unknown;

/** The `expand` parameter of a GET: `expand[]=a` or, as the SDK sends it, `expand[0]=a`. */
const expansions = (query: URLSearchParams) =>
  [...query.entries()].filter(([key]) => /^expand\[\d*\]$/.test(key)).map(([, value]) => value);

const list = (data: unknown[], url: string) => ({ object: "list", data, has_more: false, url });

export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  let baseUrl = "";
  const store = new FakeStripeStore(options.prices ?? DEFAULT_FAKE_PRICES, options.now, () => baseUrl);
  let target = options.webhook;
  const results: DeliveryResult[] = [];
  let queue: Promise<void> = Promise.resolve();
  store.onEvent = (event) => {
    const to = target;
    if (!to) return;
    const deliveryOptions: DeliveryOptions = {
      timestampSeconds: () => store.seconds(),
      ...options.delivery,
    };
    queue = queue.then(async () => {
      results.push(await deliverEvent(event, to, deliveryOptions));
    });
  };
  const idempotency = new Map<string, { bodyHash: string; status: number; payload: unknown }>();
  let fault: { kind: "hang"; path: RegExp; source: string } | undefined;
  let faulted = 0;
  const setFault = (next: FakeStripeFault | undefined) => {
    if (next !== undefined && next.kind !== "hang") {
      throw new FakeStripeError(400, "parameter_invalid", `unknown fault kind "${String(next.kind)}"`);
    }
    fault = next
      ? { kind: next.kind, path: new RegExp(next.path ?? ""), source: next.path ?? "" }
      : undefined;
    faulted = 0;
  };

  const sub = (id: string) => store.get(store.subscriptions, id, "subscription");
  const routes: [string, RegExp, Handler][] = [
    ["GET", /^\/v1\/prices$/, () => list([...store.prices.values()], "/v1/prices")],
    ["GET", /^\/v1\/prices\/([^/]+)$/, ([id]) => store.get(store.prices, id!, "price")],
    ["POST", /^\/v1\/customers$/, (_p, body) => store.createCustomer(body)],
    ["GET", /^\/v1\/customers\/([^/]+)$/, ([id]) => store.get(store.customers, id!, "customer")],
    [
      "POST",
      /^\/v1\/checkout\/sessions$/,
      (_p, body) => store.publicSession(store.createCheckoutSession(body)),
    ],
    [
      "GET",
      /^\/v1\/checkout\/sessions\/([^/]+)$/,
      ([id]) => store.publicSession(store.get(store.sessions, id!, "checkout session")),
    ],
    [
      "GET",
      /^\/v1\/checkout\/sessions\/([^/]+)\/line_items$/,
      ([id]) =>
        list(
          store.get(store.sessions, id!, "checkout session").line_items_data,
          `/v1/checkout/sessions/${id}/line_items`,
        ),
    ],
    [
      "GET",
      /^\/v1\/subscriptions\/([^/]+)$/,
      ([id], _body, query) => {
        // `expand[]=latest_invoice`, as Stripe answers it: the invoice object in place of its id.
        const found = sub(id!);
        const invoiceId = found.latest_invoice;
        if (!expansions(query).includes("latest_invoice") || typeof invoiceId !== "string") return found;
        return { ...found, latest_invoice: store.get(store.invoices, invoiceId, "invoice") };
      },
    ],
    ["POST", /^\/v1\/subscriptions\/([^/]+)$/, ([id], body) => store.updateSubscription(id!, body)],
    ["DELETE", /^\/v1\/subscriptions\/([^/]+)$/, ([id]) => store.cancelSubscription(id!)],
    ["GET", /^\/v1\/invoices\/([^/]+)$/, ([id]) => store.get(store.invoices, id!, "invoice")],
    [
      "GET",
      /^\/v1\/invoices$/,
      (_p, _b, q) =>
        list(
          [...store.invoices.values()].filter(
            (i) =>
              !q.get("subscription") ||
              (i.parent as { subscription_details: { subscription: string } }).subscription_details
                .subscription === q.get("subscription"),
          ),
          "/v1/invoices",
        ),
    ],
    [
      "GET",
      /^\/v1\/charges$/,
      (_p, _b, q) =>
        list(
          [...store.charges.values()].filter((c) => !q.get("customer") || c.customer === q.get("customer")),
          "/v1/charges",
        ),
    ],
    ["GET", /^\/v1\/charges\/([^/]+)$/, ([id]) => store.get(store.charges, id!, "charge")],
    ...lifecycleRoutes(store),
    // ---- simulations of Stripe's side (not part of the Stripe API) ----
    [
      "POST",
      /^\/_fake\/checkout_sessions\/([^/]+)\/complete$/,
      ([id]) => summarise(store.completeCheckout(id!)),
    ],
    [
      "POST",
      /^\/_fake\/subscriptions\/([^/]+)\/payment_failed$/,
      ([id]) => ({ events: store.failPayment(id!).map((e) => e.id) }),
    ],
    [
      "POST",
      /^\/_fake\/subscriptions\/([^/]+)\/renew$/,
      ([id]) => ({ events: store.payInvoice(id!).map((e) => e.id) }),
    ],
    [
      "POST",
      /^\/_fake\/subscriptions\/([^/]+)\/unpaid$/,
      ([id]) => ({ events: store.markUnpaid(id!).map((e) => e.id) }),
    ],
    [
      "POST",
      /^\/_fake\/subscriptions\/([^/]+)\/cancel$/,
      ([id], body) =>
        store.cancelSubscription(id!, typeof body.reason === "string" ? body.reason : undefined),
    ],
    [
      "POST",
      /^\/_fake\/charges\/([^/]+)\/refund$/,
      ([id], body) => ({
        events: store
          .refundCharge(id!, body.amount === undefined ? undefined : Number(body.amount))
          .map((e) => e.id),
      }),
    ],
    ["GET", /^\/_fake\/events$/, () => list(store.events, "/_fake/events")],
    [
      "POST",
      /^\/_fake\/fault$/,
      (_p, body) => {
        setFault(
          body.kind === undefined
            ? undefined
            : { kind: body.kind as "hang", ...(typeof body.path === "string" ? { path: body.path } : {}) },
        );
        return { fault: fault ? { kind: fault.kind, path: fault.source } : null };
      },
    ],
    [
      "POST",
      /^\/_fake\/webhook_endpoint$/,
      (_p, body) => {
        if (typeof body.url !== "string" || typeof body.secret !== "string") {
          throw new FakeStripeError(400, "parameter_missing", "url and secret are required");
        }
        target = { url: body.url, secret: body.secret };
        return { url: target.url };
      },
    ],
  ];

  function summarise(r: { subscription: { id: string }; events: { id: string }[] }) {
    return { subscription: r.subscription.id, events: r.events.map((e) => e.id) };
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  function send(res: ServerResponse, status: number, payload: unknown) {
    res.writeHead(status, { "content-type": "application/json", "request-id": `req_fake_${Date.now()}` });
    res.end(JSON.stringify(payload));
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://fake");
      const raw = await readBody(req);
      const isControl = url.pathname.startsWith("/_fake/");
      if (!isControl && fault?.path.test(url.pathname)) {
        faulted += 1;
        return; // hang: the socket stays open, unanswered, until the client gives up or the fake stops
      }
      if (!isControl && !/^Bearer (sk|rk)_test_\S+$/.test(req.headers.authorization ?? "")) {
        throw new FakeStripeError(
          401,
          "api_key_invalid",
          "Invalid API Key provided (the fake accepts any sk_test_… key)",
        );
      }
      const contentType = req.headers["content-type"] ?? "";
      const body = raw && contentType.includes("application/json") ? JSON.parse(raw) : parseForm(raw);
      const route = routes.find(([method, pattern]) => method === req.method && pattern.test(url.pathname));
      if (!route)
        throw new FakeStripeError(
          404,
          "resource_missing",
          `Unrecognized request URL (${req.method}: ${url.pathname})`,
        );
      const key = req.headers["idempotency-key"];
      const cacheKey =
        typeof key === "string" && req.method === "POST" ? `${url.pathname}\u0000${key}` : undefined;
      const bodyHash = createHash("sha256").update(raw).digest("hex");
      const cached = cacheKey ? idempotency.get(cacheKey) : undefined;
      if (cached) {
        if (cached.bodyHash !== bodyHash) {
          throw new FakeStripeError(
            400,
            "idempotency_key_in_use",
            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
          );
        }
        res.setHeader("idempotent-replayed", "true");
        return send(res, cached.status, cached.payload);
      }
      const payload = route[2](route[1].exec(url.pathname)!.slice(1), body, url.searchParams);
      if (cacheKey) idempotency.set(cacheKey, { bodyHash, status: 200, payload: structuredClone(payload) });
      send(res, 200, payload);
    } catch (err) {
      if (err instanceof FakeStripeError) {
        return send(res, err.status, {
          error: {
            type: err.code === "idempotency_key_in_use" ? "idempotency_error" : "invalid_request_error",
            code: err.code,
            message: err.message,
            param: err.param,
          },
        });
      }
      send(res, 500, { error: { type: "api_error", message: (err as Error).message } });
    }
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
  );
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? "127.0.0.1";
  baseUrl = `http://${host}:${port}`;

  return {
    url: baseUrl,
    port,
    store,
    client: (secretKey = "sk_test_fake") =>
      new Stripe(secretKey, { host, port, protocol: "http", maxNetworkRetries: 0, telemetry: false }),
    setWebhookTarget: (t) => {
      target = t;
    },
    setFault,
    faultedRequests: () => faulted,
    settled: async () => {
      let current: Promise<void>;
      do {
        current = queue;
        await current;
      } while (current !== queue);
      return [...results];
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
