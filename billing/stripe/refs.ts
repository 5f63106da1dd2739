/** Reading ids out of Stripe objects, whose references are either an id or the expanded object. */
import type Stripe from "stripe";

export const idOf = (ref: string | { id: string } | null | undefined) =>
  typeof ref === "string" ? ref : ref?.id;

/** The subscription an invoice bills, if any. */
export function subscriptionOfInvoice(invoice: Stripe.Invoice): string | undefined {
  return idOf(invoice.parent?.subscription_details?.subscription);
}
