/**
 * SSH into the workstation VM stays disabled (the service default): users work through the IDE and the
 * gateway, and SSH would bypass the session agent's license check-in.
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-ssh-disabled",
    description: "Workstation VMs must keep SSH disabled.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Remove `host.gceInstance.disableSsh` or set it to true.",
    anchor: undefined,
  },
  (config) =>
    config.host?.gceInstance?.disableSsh === false
      ? "host.gceInstance.disableSsh is false: SSH to the VM is open."
      : undefined,
);
