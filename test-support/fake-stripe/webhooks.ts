/**
 * Test infrastructure (fake Stripe): signs events exactly as Stripe does (the Stripe SDK's
 * generateTestHeaderString computes the real `t=…,v1=HMAC-SHA256` header) and delivers them with retries.
 */
import Stripe from "stripe";

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface DeliveryResult {
  eventId: string;
  delivered: boolean;
  attempts: number;
  lastStatus: number | null;
  lastError?: string;
}

const signer = new Stripe("sk_test_fake_signer");

/** The Stripe-Signature header for a payload at a given unix time (seconds). */
export function signPayload(payload: string, secret: string, timestampSeconds: number): string {
  return signer.webhooks.generateTestHeaderString({ payload, secret, timestamp: timestampSeconds });
}

export interface DeliveryOptions {
  maxAttempts?: number;
  initialBackoffMs?: number;
  /** Unix seconds for the signature; defaults to the wall clock. */
  timestampSeconds?: () => number;
}

/** POSTs a signed event until a 2xx answer, with exponential backoff between attempts. */
export async function deliverEvent(
  event: { id: string },
  target: WebhookTarget,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  let backoff = options.initialBackoffMs ?? 200;
  const payload = JSON.stringify(event, null, 2);
  const result: DeliveryResult = { eventId: event.id, delivered: false, attempts: 0, lastStatus: null };
  while (result.attempts < maxAttempts) {
    result.attempts += 1;
    const timestamp = options.timestampSeconds?.() ?? Math.floor(Date.now() / 1000);
    try {
      const response = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "stripe-signature": signPayload(payload, target.secret, timestamp),
          "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) fake",
        },
        body: payload,
      });
      result.lastStatus = response.status;
      await response.arrayBuffer();
      if (response.ok) {
        result.delivered = true;
        return result;
      }
      result.lastError = `HTTP ${response.status}`;
    } catch (err) {
      result.lastError = (err as Error).message;
    }
    if (result.attempts < maxAttempts) {
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff *= 2;
    }
  }
  return result;
}
