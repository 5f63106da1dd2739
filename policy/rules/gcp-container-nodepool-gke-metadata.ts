/**
 * Pods see the GKE metadata server (Workload Identity) instead of the node's credentials, and the
 * legacy metadata endpoints stay disabled.
 * Severity: high. Anchor: Checkov CKV_GCP_69, Trivy AVD-GCP-0048, AVD-GCP-0057.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.container.NodePool,
  {
    name: "gcp-container-nodepool-gke-metadata",
    description: "GKE node pools must run the GKE metadata server and keep legacy endpoints disabled.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'Set `nodeConfig.workloadMetadataConfig.mode` to "GKE_METADATA" and do not set `nodeConfig.metadata["disable-legacy-endpoints"]` to "false".',
    anchor: "Checkov CKV_GCP_69, Trivy AVD-GCP-0048, AVD-GCP-0057",
  },
  (pool) => {
    const problems: string[] = [];
    const mode = pool.nodeConfig?.workloadMetadataConfig?.mode;
    if (mode !== "GKE_METADATA") {
      problems.push(
        `nodeConfig.workloadMetadataConfig.mode is ${shown(mode)}: pods can read node credentials.`,
      );
    }
    const legacy = (pool.nodeConfig?.metadata as Record<string, unknown> | undefined)?.[
      "disable-legacy-endpoints"
    ];
    if (legacy === "false" || legacy === false)
      problems.push('nodeConfig.metadata["disable-legacy-endpoints"] is "false".');
    return problems;
  },
);
