/**
 * Symmetric encryption keys rotate automatically at most every 90 days. Cloud KMS cannot rotate any
 * other key purpose automatically (asymmetric signing/decryption, MAC), and the API rejects a
 * rotationPeriod on them, so for those keys the rule demands that it is absent: rotation of the signing
 * key is a new key version created on a schedule (seed-notes D1).
 * Severity: high. Anchor: Checkov CKV_GCP_43, Trivy AVD-GCP-0065.
 */
import * as gcp from "@pulumi/gcp";
import { durationSeconds, resourceRule, shown } from "../rule.js";

const NINETY_DAYS = 90 * 24 * 3600;

export const policy = resourceRule(
  gcp.kms.CryptoKey,
  {
    name: "gcp-kms-cryptokey-rotation",
    description:
      "Symmetric keys must rotate within 90 days; asymmetric and MAC keys must not set a rotation period (Cloud KMS cannot rotate them).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'ENCRYPT_DECRYPT keys: set `rotationPeriod` to at most "7776000s". Other purposes: remove `rotationPeriod` and rotate by creating key versions.',
    anchor: "Checkov CKV_GCP_43, Trivy AVD-GCP-0065",
  },
  (key) => {
    const purpose = key.purpose ?? "ENCRYPT_DECRYPT";
    if (purpose !== "ENCRYPT_DECRYPT") {
      return key.rotationPeriod === undefined
        ? undefined
        : `rotationPeriod is ${shown(key.rotationPeriod)} on a ${purpose} key: Cloud KMS only rotates symmetric keys automatically.`;
    }
    const seconds = durationSeconds(key.rotationPeriod);
    if (seconds === undefined)
      return `rotationPeriod is ${shown(key.rotationPeriod)}: the key never rotates.`;
    return seconds <= NINETY_DAYS
      ? undefined
      : `rotationPeriod is ${shown(key.rotationPeriod)}, longer than 90 days (7776000s).`;
  },
);
