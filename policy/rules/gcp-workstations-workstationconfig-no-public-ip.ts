/**
 * Workstation VMs get no external IP address; they reach the internet through Cloud NAT and users reach
 * them through the cluster's gateway. The service default is to assign public IPs.
 * Severity: high. Anchor: none for Cloud Workstations (Compute analogue: Checkov CKV_GCP_40, Trivy AVD-GCP-0031).
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-no-public-ip",
    description: "Workstation VMs must not have public IP addresses.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set `host.gceInstance.disablePublicIpAddresses` to true.",
    anchor: "Compute analogue: Checkov CKV_GCP_40, Trivy AVD-GCP-0031",
  },
  (config) => {
    const disabled = config.host?.gceInstance?.disablePublicIpAddresses;
    return disabled === true
      ? undefined
      : `host.gceInstance.disablePublicIpAddresses is ${shown(disabled)}: workstation VMs get public IPs.`;
  },
);
