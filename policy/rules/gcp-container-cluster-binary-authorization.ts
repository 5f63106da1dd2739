/**
 * Binary Authorization enforces the project policy at deploy time, which is where "only signed images
 * run" is actually enforced (Artifact Registry scanning alone blocks nothing; seed-notes D6).
 * Severity: medium. Anchor: Checkov CKV_GCP_66.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-binary-authorization",
    description: "GKE clusters must enforce Binary Authorization.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: 'Set `binaryAuthorization.evaluationMode` to "PROJECT_SINGLETON_POLICY_ENFORCE".',
    anchor: "Checkov CKV_GCP_66",
  },
  (cluster) => {
    const mode = cluster.binaryAuthorization?.evaluationMode;
    return mode === "PROJECT_SINGLETON_POLICY_ENFORCE"
      ? undefined
      : `binaryAuthorization.evaluationMode is ${shown(mode)}: unsigned images can be deployed.`;
  },
);
