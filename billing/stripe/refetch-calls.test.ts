/**
 * What a subscription event costs Stripe (issue 18 goal 6, ADR 0290): the refetch under the lock reads the
 * subscription with its latest invoice expanded — one API call, not two — and still applies Stripe's
 * current state. A counting proxy in front of the fake Stripe sees every call billing makes.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BillingHarness, eventsById, startBillingHarness } from "../testing/harness.js";

describe("subscription refetch", () => {
  let h: BillingHarness;
  let proxy: Server;
  let target = "";
  const calls: string[] = [];
  beforeAll(async () => {
    proxy = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      const upstream = request(
        `${target}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    h = await startBillingHarness({ env: { STRIPE_API_URL: proxyUrl } });
    target = h.fake.url;
  });
  afterAll(async () => {
    await h.stop();
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  });

  /** A purchase whose events billing has processed (the license exists). */
  async function bought(product: string, quantity: number, organization: string) {
    const purchase = await h.buy([{ product, quantity }], organization);
    for (const event of eventsById(
      h.fake,
      purchase.events.map((e) => e.id),
    )) {
      expect((await h.sendEvent(event)).status).toBe(200);
    }
    return purchase;
  }

  it("customer.subscription.updated reads the subscription and its invoice in one call and applies them", async () => {
    const purchase = await bought("pro", 2, "refetch-calls");
    const sub = h.fake.store.subscriptions.get(purchase.subscriptionId)!;
    const itemId = (sub.items as { data: { id: string }[] }).data[0]!.id;
    await h.deps.stripe.subscriptions.update(purchase.subscriptionId, {
      items: [{ id: itemId, quantity: 5 }],
    });
    const updated = h.fake.store.events.at(-1)!;
    expect(updated.type).toBe("customer.subscription.updated");

    calls.length = 0;
    const res = await h.sendEvent(updated);
    expect(await res.json()).toMatchObject({ outcome: "processed", duplicate: false });
    expect(calls.map(decodeURIComponent)).toEqual([
      `GET /v1/subscriptions/${purchase.subscriptionId}?expand[0]=latest_invoice`,
    ]);
    const license = await h.pool.query("SELECT seats FROM licenses WHERE stripe_subscription_id = $1", [
      purchase.subscriptionId,
    ]);
    expect(license.rows[0]).toMatchObject({ seats: 5 });
  });

  it("customer.subscription.trial_will_end reads the subscription once and mails the trial's end", async () => {
    const purchase = await bought("pro", 1, "refetch-trial");
    const [trial] = h.fake.store.trialWillEnd(purchase.subscriptionId, 3);

    calls.length = 0;
    const res = await h.sendEvent(trial!);
    expect(await res.json()).toMatchObject({ outcome: "processed", duplicate: false });
    expect(calls.map(decodeURIComponent)).toEqual([
      `GET /v1/subscriptions/${purchase.subscriptionId}?expand[0]=latest_invoice`,
    ]);
    const mailed = await h.pool.query(
      "SELECT data->>'trialEndsAt' AS at FROM notification_outbox WHERE kind = 'trial_ending' AND license_id = (SELECT id FROM licenses WHERE stripe_subscription_id = $1)",
      [purchase.subscriptionId],
    );
    expect(mailed.rows).toEqual([{ at: new Date(h.clock.now().getTime() + 3 * 86_400_000).toISOString() }]);
  });

  it("the fake answers expand[]=latest_invoice as Stripe does: the invoice object in place of its id", async () => {
    const purchase = await h.buy([{ product: "starter", quantity: 1 }], "refetch-expand");
    const plain = await h.deps.stripe.subscriptions.retrieve(purchase.subscriptionId);
    expect(typeof plain.latest_invoice).toBe("string");
    const expanded = await h.deps.stripe.subscriptions.retrieve(purchase.subscriptionId, {
      expand: ["latest_invoice"],
    });
    expect(expanded.latest_invoice).toMatchObject({ object: "invoice", id: plain.latest_invoice });
  });
});
