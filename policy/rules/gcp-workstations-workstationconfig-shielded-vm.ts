/**
 * Workstation VMs boot as Shielded VMs with secure boot, vTPM and integrity monitoring (seed: shielded
 * VM enabled). All three default to off in Cloud Workstations.
 * Severity: high. Anchor: none for Cloud Workstations (Compute analogue: Checkov CKV_GCP_39).
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

const FIELDS = ["enableSecureBoot", "enableVtpm", "enableIntegrityMonitoring"] as const;

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-shielded-vm",
    description: "Workstation VMs must be Shielded VMs (secure boot, vTPM, integrity monitoring).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set `host.gceInstance.shieldedInstanceConfig` { enableSecureBoot, enableVtpm, enableIntegrityMonitoring } all to true.",
    anchor: "Compute analogue: Checkov CKV_GCP_39",
  },
  (config) => {
    const shielded = config.host?.gceInstance?.shieldedInstanceConfig;
    return FIELDS.filter((field) => shielded?.[field] !== true).map(
      (field) => `host.gceInstance.shieldedInstanceConfig.${field} is not true.`,
    );
  },
);
