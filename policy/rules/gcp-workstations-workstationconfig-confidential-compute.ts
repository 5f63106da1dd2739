/**
 * Workstation VMs run as Confidential VMs (memory encrypted with AMD SEV; seed: confidential compute
 * enabled). Configs listed in `exemptConfigIds` (e.g. a GPU tier whose machine type cannot be
 * confidential) are exempt; the rule names the exemption so it stays visible.
 * Severity: high. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-confidential-compute",
    description: "Workstation configs must enable confidential compute unless explicitly exempted.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set `host.gceInstance.confidentialInstanceConfig.enableConfidentialCompute` to true (with an N2D machine type), or list the config id in this rule's `exemptConfigIds`.",
    anchor: undefined,
    configSchema: {
      properties: { exemptConfigIds: { type: "array", items: { type: "string" }, default: [] } },
    },
  },
  (config, args) => {
    const { exemptConfigIds } = args.getConfig<{ exemptConfigIds: string[] }>();
    if (
      typeof config.workstationConfigId === "string" &&
      exemptConfigIds.includes(config.workstationConfigId)
    ) {
      return undefined;
    }
    return config.host?.gceInstance?.confidentialInstanceConfig?.enableConfidentialCompute === true
      ? undefined
      : "host.gceInstance.confidentialInstanceConfig.enableConfidentialCompute is not true.";
  },
);
