/**
 * Image-signing keys (purpose ASYMMETRIC_SIGN) live in an HSM: the private key can never be exported,
 * which is what makes a signature evidence that our pipeline produced the image.
 * Severity: high. Anchor: none (seed: signing_key_protection_level = "HSM").
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.kms.CryptoKey,
  {
    name: "gcp-kms-cryptokey-signing-hsm",
    description: "Asymmetric signing keys must use HSM protection.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: 'Set `versionTemplate.protectionLevel` to "HSM" on the signing key.',
    anchor: undefined,
  },
  (key) => {
    if (key.purpose !== "ASYMMETRIC_SIGN") return undefined;
    const level = key.versionTemplate?.protectionLevel;
    // An unset protection level means SOFTWARE.
    return level === "HSM"
      ? undefined
      : `versionTemplate.protectionLevel is ${shown(level)} (SOFTWARE when unset): a signing key must be "HSM".`;
  },
);
