/**
 * A key cannot be destroyed by a `pulumi destroy` or a replacement: losing the signing key breaks every
 * signature customers verify, losing an encryption key loses the data. Either the provider's
 * `deletionPolicy: "PREVENT"` (or "ABANDON", which leaves the key in place) or the Pulumi `protect`
 * option satisfies the rule. A resources file from `npm run plan -- --json` does not record `protect`
 * (the `--stack` path does), so keys protected only by the option are reported there; setting
 * `deletionPolicy` as well makes both paths agree.
 * Severity: high. Anchor: Checkov CKV_GCP_82.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.kms.CryptoKey,
  {
    name: "gcp-kms-cryptokey-deletion-protection",
    description: "Cloud KMS keys must be protected from deletion.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'Set `deletionPolicy` to "PREVENT" on the key (or create it with the `protect: true` option).',
    anchor: "Checkov CKV_GCP_82",
  },
  (key, args) => {
    if (args.opts.protect) return undefined;
    return key.deletionPolicy === "PREVENT" || key.deletionPolicy === "ABANDON"
      ? undefined
      : `deletionPolicy is ${shown(key.deletionPolicy)} (DELETE when unset) and the resource is not protected (protect option unset, or not recorded in this resources file): the key can be destroyed by a deployment.`;
  },
);
