/**
 * The cluster (and with it every tenant's custom resources) cannot be deleted by a deployment. The
 * provider defaults to protected; the rule catches an explicit false.
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-deletion-protection",
    description: "GKE clusters must keep deletion protection on.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Remove `deletionProtection` or set it to true.",
    anchor: undefined,
  },
  (cluster) => (cluster.deletionProtection === false ? "deletionProtection is false." : undefined),
);
