/**
 * Confidential compute only works on machine families that support AMD SEV (N2D for Cloud
 * Workstations). The seed pairs it with e2-standard-4, which cannot be confidential (seed-notes D10);
 * an unset machine type means the service default e2-standard-4, which fails too.
 * Severity: high. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-confidential-machine-type",
    description:
      "Confidential workstation configs must use a machine type that supports confidential compute (not E2).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: 'Set `host.gceInstance.machineType` to an N2D type such as "n2d-standard-4".',
    anchor: undefined,
    configSchema: {
      properties: {
        confidentialMachinePrefixes: { type: "array", items: { type: "string" }, default: ["n2d-"] },
      },
    },
  },
  (config, args) => {
    const instance = config.host?.gceInstance;
    if (instance?.confidentialInstanceConfig?.enableConfidentialCompute !== true) return undefined;
    const { confidentialMachinePrefixes } = args.getConfig<{ confidentialMachinePrefixes: string[] }>();
    const machineType = instance.machineType ?? "e2-standard-4";
    if (confidentialMachinePrefixes.some((prefix) => machineType.startsWith(prefix))) return undefined;
    const why = machineType.startsWith("e2-")
      ? "E2 machine types cannot run Confidential VMs"
      : "not a confidential family";
    return `host.gceInstance.machineType is ${shown(instance.machineType ?? undefined)}${
      instance.machineType ? "" : " (defaults to e2-standard-4)"
    }: ${why}; allowed prefixes: ${confidentialMachinePrefixes.join(", ")}.`;
  },
);
