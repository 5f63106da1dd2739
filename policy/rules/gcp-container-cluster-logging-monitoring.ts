/**
 * Cluster logs and metrics go to Cloud Logging / Monitoring (audit trail and alerting).
 * Severity: medium. Anchor: Checkov CKV_GCP_1, CKV_GCP_8, Trivy AVD-GCP-0060, AVD-GCP-0052.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-logging-monitoring",
    description: "GKE clusters must send logs and metrics to Cloud Logging and Cloud Monitoring.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      'Remove `loggingService`/`monitoringService` or set them to the "*.googleapis.com/kubernetes" services.',
    anchor: "Checkov CKV_GCP_1, CKV_GCP_8, Trivy AVD-GCP-0060, AVD-GCP-0052",
  },
  (cluster) => {
    const problems: string[] = [];
    if (cluster.loggingService === "none") problems.push('loggingService is "none".');
    if (cluster.monitoringService === "none") problems.push('monitoringService is "none".');
    return problems;
  },
);
