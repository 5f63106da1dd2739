/**
 * Secret access is limited to what a component needs: `get` on the named secrets it reads
 * (`resourceNames`). list/watch return every secret's data in the namespace, and create/update/delete
 * let a component plant credentials. Roles listed in `exemptRoles` ("namespace/name" or a ClusterRole
 * name) are allowed — the exemption stays visible in policy/config.json.
 * Severity: high. Anchor: Kubernetes RBAC good practices (secrets); CIS Kubernetes 5.1.2.
 */
import { typeMatchRule } from "../../rule.js";
import { allowsVerb, coversCoreResource, isRoleType, rulesOf } from "../rbac.js";

const READ_ONE = ["get"];

function roleId(props: Record<string, unknown>): string {
  const metadata = (props.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return typeof metadata.namespace === "string"
    ? `${metadata.namespace}/${String(metadata.name)}`
    : String(metadata.name);
}

export const policy = typeMatchRule(
  isRoleType,
  {
    name: "k8s-rbac-role-no-secret-access",
    description: "Roles may only get named secrets (no list/watch/write on secrets).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'Limit the `secrets` rule to verbs ["get"] with `resourceNames` listing the secrets the component reads (or add the role to this rule\'s `exemptRoles`).',
    anchor: "CIS Kubernetes 5.1.2",
    configSchema: { properties: { exemptRoles: { type: "array", items: { type: "string" }, default: [] } } },
  },
  (props, args) => {
    const { exemptRoles } = args.getConfig<{ exemptRoles: string[] }>();
    if (exemptRoles.includes(roleId(props))) return undefined;
    return rulesOf(props).flatMap(({ label, rule }) => {
      if (!coversCoreResource(rule, "secrets")) return [];
      const extra = (rule.verbs ?? []).filter((verb) => !READ_ONE.includes(verb));
      const problems = extra.length > 0 ? [`${label} grants ${extra.join(", ")} on secrets.`] : [];
      if (allowsVerb(rule, "get") && (rule.resourceNames ?? []).length === 0) {
        problems.push(`${label} grants get on every secret (no resourceNames).`);
      }
      return problems;
    });
  },
);
