/**
 * Workstation users are not root (issue 13, item 2): Cloud Workstations' base image grants the user
 * passwordless sudo unless the container env sets CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO=true. With sudo a
 * user could stop or replace the session agent and run unlicensed.
 * Severity: high. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const DISABLE_SUDO_VARIABLE = "CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-sudo-disabled",
    description: "Workstation containers must run with sudo disabled.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Set \`container.env.${DISABLE_SUDO_VARIABLE}\` to "true".`,
    anchor: undefined,
  },
  (config) => {
    const value = (config.container?.env as Record<string, unknown> | undefined)?.[DISABLE_SUDO_VARIABLE];
    return value === "true"
      ? undefined
      : `container.env.${DISABLE_SUDO_VARIABLE} is ${shown(value)}: workstation users get sudo (root).`;
  },
);
