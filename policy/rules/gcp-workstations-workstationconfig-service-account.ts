/**
 * Workstation VMs run as a dedicated, least-privilege service account, not the Compute Engine default
 * account (which holds Editor in many projects). Unset means no service account at all, which breaks the
 * image's license check-in, so it is flagged too.
 * Severity: medium. Anchor: Compute analogue: Checkov CKV_GCP_30, Trivy AVD-GCP-0044.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-service-account",
    description: "Workstation VMs must run as a dedicated service account.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      "Set `host.gceInstance.serviceAccount` to the email of a dedicated workstation service account.",
    anchor: "Compute analogue: Checkov CKV_GCP_30, Trivy AVD-GCP-0044",
  },
  (config) => {
    const account = config.host?.gceInstance?.serviceAccount;
    if (typeof account !== "string" || account === "") {
      return "host.gceInstance.serviceAccount is unset.";
    }
    return account.endsWith("-compute@developer.gserviceaccount.com")
      ? `host.gceInstance.serviceAccount is ${shown(account)}, the Compute Engine default account.`
      : undefined;
  },
);
