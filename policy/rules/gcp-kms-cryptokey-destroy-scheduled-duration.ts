/**
 * A destroyed key version stays recoverable for at least 30 days (the Cloud KMS default when unset),
 * long enough to notice a mistaken destruction.
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { durationSeconds, resourceRule, shown } from "../rule.js";

const THIRTY_DAYS = 30 * 24 * 3600;

export const policy = resourceRule(
  gcp.kms.CryptoKey,
  {
    name: "gcp-kms-cryptokey-destroy-scheduled-duration",
    description: "Key versions must stay recoverable for at least 30 days after destruction is scheduled.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: 'Remove `destroyScheduledDuration` or set it to at least "2592000s" (30 days).',
    anchor: undefined,
  },
  (key) => {
    if (key.destroyScheduledDuration === undefined) return undefined;
    const seconds = durationSeconds(key.destroyScheduledDuration);
    return seconds !== undefined && seconds >= THIRTY_DAYS
      ? undefined
      : `destroyScheduledDuration is ${shown(key.destroyScheduledDuration)}, shorter than 30 days.`;
  },
);
