/**
 * An idle workstation stops within 30 minutes (seed: idle timeout 30 min): a running VM costs money and
 * is an open session. "0s" disables the timeout; unset means the service default of 20 minutes.
 * Severity: medium. Anchor: none (no scanner covers Cloud Workstations).
 */
import * as gcp from "@pulumi/gcp";
import { durationSeconds, resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationConfig,
  {
    name: "gcp-workstations-workstationconfig-idle-timeout",
    description: "Workstation configs must stop idle workstations within 30 minutes.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: 'Set `idleTimeout` to a duration between "1s" and "1800s".',
    anchor: undefined,
    configSchema: { properties: { maxIdleSeconds: { type: "integer", default: 1800 } } },
  },
  (config, args) => {
    if (config.idleTimeout === undefined) return undefined;
    const { maxIdleSeconds } = args.getConfig<{ maxIdleSeconds: number }>();
    const seconds = durationSeconds(config.idleTimeout);
    if (seconds === undefined || seconds === 0) {
      return `idleTimeout is ${shown(config.idleTimeout)}: idle workstations are never stopped.`;
    }
    return seconds <= maxIdleSeconds
      ? undefined
      : `idleTimeout is ${shown(config.idleTimeout)}, longer than ${maxIdleSeconds}s.`;
  },
);
