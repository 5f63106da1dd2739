/**
 * No long-lived client certificate is issued for the cluster (it cannot be revoked).
 * Severity: high. Anchor: Checkov CKV_GCP_13, Trivy AVD-GCP-0064.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-client-certificate-disabled",
    description: "GKE clusters must not issue client certificates.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set `masterAuth.clientCertificateConfig.issueClientCertificate` to false (or omit masterAuth).",
    anchor: "Checkov CKV_GCP_13, Trivy AVD-GCP-0064",
  },
  (cluster) =>
    cluster.masterAuth?.clientCertificateConfig?.issueClientCertificate === true
      ? "masterAuth.clientCertificateConfig.issueClientCertificate is true: an irrevocable admin credential is issued."
      : undefined,
);
