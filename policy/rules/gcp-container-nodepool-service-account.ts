/**
 * Nodes run as a dedicated minimal service account, never the Compute Engine default account.
 * Severity: medium. Anchor: Trivy AVD-GCP-0050, Checkov CKV2_GCP_1.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.container.NodePool,
  {
    name: "gcp-container-nodepool-service-account",
    description: "GKE node pools must run as a dedicated service account.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set `nodeConfig.serviceAccount` to a dedicated node service account email.",
    anchor: "Trivy AVD-GCP-0050, Checkov CKV2_GCP_1",
  },
  (pool) => {
    const account = pool.nodeConfig?.serviceAccount;
    if (typeof account !== "string" || account === "" || account === "default") {
      return `nodeConfig.serviceAccount is ${shown(account)}: nodes run as the Compute Engine default account.`;
    }
    return account.endsWith("-compute@developer.gserviceaccount.com")
      ? `nodeConfig.serviceAccount is ${shown(account)}, the Compute Engine default account.`
      : undefined;
  },
);
