/**
 * Test infrastructure (fake Stripe): the routes of the subscription lifecycle (issue 16 §2) — the Stripe API
 * calls billing makes for it (billing portal sessions, disputes, expiring a Checkout Session) and the
 * `/_fake/*` simulations of what cardholders, banks and Stripe do on their own (a trial ending, a payment
 * needing confirmation, a dispute opened and decided).
 */
import type { FakeStripeStore } from "./store.js";
import { FakeStripeError } from "./store.js";

export type FakeRoute = [
  string,
  RegExp,
  (params: string[], body: Record<string, unknown>, query: URLSearchParams) => unknown,
];

const eventIds = (events: { id: string }[]) => ({ events: events.map((e) => e.id) });

export function lifecycleRoutes(store: FakeStripeStore): FakeRoute[] {
  return [
    ["POST", /^\/v1\/billing_portal\/sessions$/, (_p, body) => store.createPortalSession(body)],
    ["GET", /^\/v1\/disputes\/([^/]+)$/, ([id]) => store.get(store.disputes, id!, "dispute")],
    [
      "POST",
      /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/,
      ([id]) => {
        store.expireCheckout(id!);
        return store.publicSession(store.get(store.sessions, id!, "checkout session"));
      },
    ],
    ["POST", /^\/_fake\/checkout_sessions\/([^/]+)\/expire$/, ([id]) => eventIds(store.expireCheckout(id!))],
    [
      "POST",
      /^\/_fake\/subscriptions\/([^/]+)\/trial_will_end$/,
      ([id], body) => eventIds(store.trialWillEnd(id!, body.days === undefined ? 3 : Number(body.days))),
    ],
    [
      "POST",
      /^\/_fake\/subscriptions\/([^/]+)\/payment_action_required$/,
      ([id]) => eventIds(store.requirePaymentAction(id!)),
    ],
    ["POST", /^\/_fake\/charges\/([^/]+)\/dispute$/, ([id]) => eventIds(store.disputeCharge(id!))],
    [
      "POST",
      /^\/_fake\/disputes\/([^/]+)\/close$/,
      ([id], body) => {
        if (body.status !== "won" && body.status !== "lost") {
          throw new FakeStripeError(400, "parameter_invalid", "status must be won or lost", "status");
        }
        return eventIds(store.closeDispute(id!, body.status));
      },
    ],
  ];
}
