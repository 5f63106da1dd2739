/**
 * Stack policy: workstation egress is default-deny (issue 13 L6). For the service account of every
 * WorkstationConfig there must be an enabled EGRESS rule denying all protocols to 0.0.0.0/0, and no enabled
 * EGRESS allow aimed at that account may open 0.0.0.0/0 (or ::/0): every destination a workstation may
 * reach is named (Google APIs' private range, the license server, the cluster's control plane).
 * Severity: high. Anchor: none (least privilege, ADR 0173).
 */
import * as gcp from "@pulumi/gcp";
import type { CoditectStackPolicy } from "../types.js";

const typeOf = (cls: unknown) => (cls as { __pulumiType: string }).__pulumiType;
const CONFIG_TYPE = typeOf(gcp.workstations.WorkstationConfig);
const FIREWALL_TYPE = typeOf(gcp.compute.Firewall);
const OPEN = ["0.0.0.0/0", "::/0"];

interface FirewallProps {
  direction?: unknown;
  disabled?: unknown;
  destinationRanges?: unknown;
  targetServiceAccounts?: unknown;
  allows?: unknown;
  denies?: { protocol?: unknown }[];
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

export const policy: CoditectStackPolicy = {
  name: "gcp-compute-firewall-workstation-egress-default-deny",
  description: "Workstation VMs have default-deny egress and allow only named destinations.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Give the workstation service account an EGRESS deny-all rule to 0.0.0.0/0 (NetworkSegmentation `ws-deny-egress`) and allow only specific ranges (`WorkstationEgressAllow`).",
  anchor: undefined,
  validateStack: (args, reportViolation) => {
    const configs = args.resources.filter((r) => r.type === CONFIG_TYPE);
    if (configs.length === 0) args.notApplicable("no workstation configs in this stack");
    const firewalls = args.resources
      .filter((r) => r.type === FIREWALL_TYPE)
      .map((r) => ({ urn: r.urn, props: r.props as FirewallProps }))
      .filter(({ props }) => props.direction === "EGRESS" && props.disabled !== true);
    const accounts = new Map<string, string>();
    for (const config of configs) {
      const account = (config.props as { host?: { gceInstance?: { serviceAccount?: unknown } } }).host
        ?.gceInstance?.serviceAccount;
      if (typeof account === "string" && !accounts.has(account)) accounts.set(account, config.urn);
    }
    for (const [account, configUrn] of accounts) {
      const aimed = firewalls.filter(({ props }) => list(props.targetServiceAccounts).includes(account));
      const denyAll = aimed.some(
        ({ props }) =>
          list(props.destinationRanges).includes("0.0.0.0/0") &&
          (props.denies ?? []).some((d) => d.protocol === "all"),
      );
      if (!denyAll) {
        reportViolation(
          `workstation service account ${account} has no EGRESS rule denying all protocols to 0.0.0.0/0: its egress is open.`,
          configUrn,
        );
      }
      for (const { urn, props } of aimed) {
        const open = list(props.destinationRanges).filter((r) => OPEN.includes(r));
        if (props.allows !== undefined && open.length > 0) {
          reportViolation(
            `an EGRESS allow for workstation service account ${account} opens ${open.join(", ")}: name its destinations instead.`,
            urn,
          );
        }
      }
    }
  },
};
