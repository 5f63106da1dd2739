/**
 * What billing requires of a verified webhook before it touches the ledger (ADR 0121): a signed body is
 * authentic, not necessarily well formed. The envelope (id, type, created, data.object) is validated, and
 * the signature's timestamp is bounded on both sides: Stripe's SDK refuses only old timestamps.
 */
import { z } from "zod";
import { describeZodError } from "../http/errors.js";

/** 9999-12-31T23:59:59Z: beyond it `new Date(created * 1000)` is not a timestamp PostgreSQL stores. */
const MAX_CREATED_SECONDS = 253_402_300_799;
const PRINTABLE_ID = /^[A-Za-z0-9_]+$/;

const envelope = z.looseObject({
  id: z
    .string()
    .min(1)
    .max(255)
    .regex(PRINTABLE_ID, "must be a Stripe event id (letters, digits and _ only, e.g. evt_…)"),
  type: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[a-z0-9_.]+$/, "must be a Stripe event type (lowercase, digits, _ and . only)"),
  created: z
    .number({ message: "must be the event's creation time in Unix seconds" })
    .int("must be whole Unix seconds")
    .min(0)
    .max(MAX_CREATED_SECONDS),
  data: z.looseObject({ object: z.looseObject({}) }),
});

/** Undefined when the envelope is usable, else why not (naming the fields). */
export function envelopeProblem(event: unknown): string | undefined {
  const parsed = envelope.safeParse(event);
  return parsed.success ? undefined : describeZodError(parsed.error);
}

/**
 * The latest `t=` of a Stripe-Signature header minus now, in seconds, when it lies in the future beyond
 * `toleranceSeconds`; undefined otherwise (absent or unparsable timestamps are the SDK's to refuse).
 */
export function futureSkewSeconds(
  signatureHeader: string,
  nowMs: number,
  toleranceSeconds: number,
): number | undefined {
  const stamps = signatureHeader
    .split(",")
    .map((part) => part.trim().split("="))
    .filter(([key, value]) => key === "t" && value !== undefined && /^\d+$/.test(value))
    .map(([, value]) => Number(value));
  if (stamps.length === 0) return undefined;
  const skew = Math.max(...stamps) - Math.floor(nowMs / 1000);
  return skew > toleranceSeconds ? skew : undefined;
}
