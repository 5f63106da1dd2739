/**
 * Signing keys use an elliptic-curve algorithm from an allow-list (default P-384/SHA-384, the seed's
 * choice, and P-256/SHA-256, which every Sigstore verifier supports). RSA keys and PKCS#1 v1.5 2048 are
 * refused. The list is configurable through `allowedAlgorithms`.
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

const DEFAULT_ALGORITHMS = ["EC_SIGN_P384_SHA384", "EC_SIGN_P256_SHA256"];

export const policy = resourceRule(
  gcp.kms.CryptoKey,
  {
    name: "gcp-kms-cryptokey-signing-algorithm",
    description: "Asymmetric signing keys must use an allowed elliptic-curve algorithm.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      'Set `versionTemplate.algorithm` to "EC_SIGN_P384_SHA384" (or another allowed algorithm).',
    anchor: undefined,
    configSchema: {
      properties: {
        allowedAlgorithms: { type: "array", items: { type: "string" }, default: DEFAULT_ALGORITHMS },
      },
    },
  },
  (key, args) => {
    if (key.purpose !== "ASYMMETRIC_SIGN") return undefined;
    const { allowedAlgorithms } = args.getConfig<{ allowedAlgorithms: string[] }>();
    const algorithm = key.versionTemplate?.algorithm;
    return typeof algorithm === "string" && allowedAlgorithms.includes(algorithm)
      ? undefined
      : `versionTemplate.algorithm is ${shown(algorithm)}; allowed: ${allowedAlgorithms.join(", ")}.`;
  },
);
