/** Test infrastructure: a stateful fake of the Stripe API for billing tests and the local sandbox. */
export { parseForm } from "./form.js";
export {
  DEFAULT_FAKE_PRICES,
  FAKE_PRICE_IDS,
  type FakeStripe,
  type FakeStripeFault,
  type FakeStripeOptions,
  fakeStripePriceEnv,
  startFakeStripe,
} from "./server.js";
export { type FakePrice, FakeStripeError, FakeStripeStore } from "./store.js";
export { type DeliveryResult, deliverEvent, signPayload, type WebhookTarget } from "./webhooks.js";
