/**
 * Subnets reach Google APIs privately (private GKE nodes and workstation VMs have no external IP).
 * Proxy-only and Private Service Connect subnets do not support it and are exempt.
 * Severity: medium. Anchor: Checkov CKV_GCP_74, Trivy AVD-GCP-0075.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.compute.Subnetwork,
  {
    name: "gcp-compute-subnetwork-private-google-access",
    description: "Subnetworks must enable Private Google Access.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set `privateIpGoogleAccess` to true.",
    anchor: "Checkov CKV_GCP_74, Trivy AVD-GCP-0075",
  },
  (subnet) => {
    if ((subnet.purpose ?? "PRIVATE") !== "PRIVATE") return undefined;
    return subnet.privateIpGoogleAccess === true
      ? undefined
      : "privateIpGoogleAccess is not true: private nodes cannot reach Google APIs.";
  },
);
