/**
 * A role may grant only the access recorded for it (issue 13 L6): `grantedAccess` maps a role ("namespace/
 * name" or a ClusterRole name) to the API calls its component makes; any other verb on any other resource is
 * a violation naming it. The default records billing's ClusterRole — what billing's code calls (see
 * components/control-plane/rbac.ts) — so widening billing's rights needs a change here too, in review.
 * Roles without an entry are left to the other RBAC rules.
 * Severity: high. Anchor: Kubernetes RBAC good practices (least privilege); CIS Kubernetes 5.1.
 */
import { typeMatchRule } from "../../rule.js";
import { isRoleType, rulesOf } from "../rbac.js";

export interface GrantedAccess {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Billing's API calls (billing/cluster/feed.ts, billing/cluster/repair.ts, billing/sessions/cluster.ts). */
export const BILLING_GRANTED_ACCESS: GrantedAccess[] = [
  {
    apiGroups: ["coditect.ai"],
    resources: ["licenses"],
    verbs: ["get", "list", "create", "update", "delete"],
  },
  // patch: spec.user/desiredState follow the assignment; delete: removed workstations (issue 16, ADR 0230)
  {
    apiGroups: ["coditect.ai"],
    resources: ["workstations"],
    verbs: ["get", "list", "create", "patch", "delete"],
  },
  {
    apiGroups: ["coditect.ai"],
    resources: ["containersessions"],
    verbs: ["list", "create", "patch", "delete"],
  },
  { apiGroups: ["coditect.ai"], resources: ["containersessions/status"], verbs: ["patch"] },
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "create"] },
];

function roleId(props: Record<string, unknown>): string {
  const metadata = (props.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return typeof metadata.namespace === "string"
    ? `${metadata.namespace}/${String(metadata.name)}`
    : String(metadata.name);
}

const covered = (granted: GrantedAccess[], group: string, resource: string, verb: string) =>
  granted.some(
    (g) => g.apiGroups.includes(group) && g.resources.includes(resource) && g.verbs.includes(verb),
  );

export const policy = typeMatchRule(
  isRoleType,
  {
    name: "k8s-rbac-role-within-granted-access",
    description: "Roles with a recorded access list (billing's) grant nothing beyond it.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Remove the extra verbs or resources from the role, or — if the component's code now makes that call — record it in this rule's `grantedAccess` in the same change.",
    anchor: "CIS Kubernetes 5.1",
    configSchema: {
      properties: {
        grantedAccess: { type: "object", default: { "coditect-billing": BILLING_GRANTED_ACCESS } },
      },
    },
  },
  (props, args) => {
    const { grantedAccess } = args.getConfig<{ grantedAccess: Record<string, GrantedAccess[]> }>();
    const granted = grantedAccess[roleId(props)];
    if (!granted) return undefined;
    return rulesOf(props).flatMap(({ label, rule }) => {
      if ((rule.nonResourceURLs ?? []).length > 0) return [`${label} grants non-resource URLs.`];
      const extra: string[] = [];
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs ?? [])
            if (!covered(granted, group, resource, verb))
              extra.push(`${verb} ${group === "" ? "" : `${group}/`}${resource}`);
      return extra.length > 0
        ? [`${label} grants ${extra.join(", ")}, beyond the access recorded for ${roleId(props)}.`]
        : [];
    });
  },
);
