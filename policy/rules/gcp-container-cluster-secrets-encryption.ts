/**
 * Kubernetes Secrets are encrypted at the application layer with our Cloud KMS key.
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-secrets-encryption",
    description: "GKE clusters must encrypt Secrets with a Cloud KMS key (application-layer encryption).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: 'Set `databaseEncryption` to { state: "ENCRYPTED", keyName: <KMS key id> }.',
    anchor: undefined,
  },
  (cluster) => {
    const encryption = cluster.databaseEncryption;
    return encryption?.state === "ENCRYPTED" && encryption.keyName
      ? undefined
      : `databaseEncryption.state is ${shown(encryption?.state)}: Secrets are not encrypted with our key.`;
  },
);
