/**
 * A workstation runs at most 12 hours before it is stopped (seed: max runtime 12 h). "0s" disables the
 * limit; unset means the service default of 12 hours.
 * Severity: medium. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { durationSeconds, resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-running-timeout",
    description: "Workstation configs must stop running workstations within 12 hours.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: 'Set `runningTimeout` to a duration between "1s" and "43200s".',
    anchor: undefined,
    configSchema: { properties: { maxRunningSeconds: { type: "integer", default: 43200 } } },
  },
  (config, args) => {
    if (config.runningTimeout === undefined) return undefined;
    const { maxRunningSeconds } = args.getConfig<{ maxRunningSeconds: number }>();
    const seconds = durationSeconds(config.runningTimeout);
    if (seconds === undefined || seconds === 0) {
      return `runningTimeout is ${shown(config.runningTimeout)}: workstations may run forever.`;
    }
    return seconds <= maxRunningSeconds
      ? undefined
      : `runningTimeout is ${shown(config.runningTimeout)}, longer than ${maxRunningSeconds}s.`;
  },
);
