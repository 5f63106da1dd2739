/** The service's pino logger: JSON lines, with every place a secret could appear redacted. */
import pino, { type DestinationStream, type Logger } from "pino";

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
  const options = {
    level,
    base: { service: "billing" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
