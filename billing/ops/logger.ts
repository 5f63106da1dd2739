/**
 * Billing's logger: the shared Cloud Logging shape (lib/logger.ts) with every place a secret could appear
 * redacted.
 */
import type { DestinationStream } from "pino";
import { createServiceLogger, type Logger } from "../../lib/logger.js";

/** Paths redacted in every log line (credentials, signatures, license keys). */
export const REDACT_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  'headers["stripe-signature"]',
  '*.headers["stripe-signature"]',
  "licenseKey",
  "*.licenseKey",
  "key",
  "*.key",
  "stripeSecretKey",
  "*.stripeSecretKey",
  "stripeWebhookSecret",
  "*.stripeWebhookSecret",
  "adminToken",
  "*.adminToken",
];

export function createLogger(level = "info", destination?: DestinationStream): Logger {
  return createServiceLogger({
    service: "billing",
    level,
    redact: REDACT_PATHS,
    ...(destination ? { destination } : {}),
  });
}
