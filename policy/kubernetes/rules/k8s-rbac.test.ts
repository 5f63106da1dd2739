import { describe, expect, it } from "vitest";
import { BILLING_CLUSTER_RULES } from "../../../components/control-plane/rbac.js";
import { ruleCases } from "../../testing/rule-cases.js";
import { policy as noClusterAdmin } from "./k8s-rbac-binding-no-cluster-admin.js";
import { policy as noEscalation } from "./k8s-rbac-role-no-escalation-verbs.js";
import { policy as noPodCreation } from "./k8s-rbac-role-no-pod-creation.js";
import { policy as noSecretAccess } from "./k8s-rbac-role-no-secret-access.js";
import { policy as noWildcards } from "./k8s-rbac-role-no-wildcards.js";
import {
  BILLING_GRANTED_ACCESS,
  policy as withinGrantedAccess,
} from "./k8s-rbac-role-within-granted-access.js";

const ROLE = "operator-role";
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]) => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

ruleCases([
  {
    policy: noWildcards,
    breaks: [
      {
        title: "verbs are *",
        resource: ROLE,
        mutate: (i) => (i.rules[0].verbs = ["*"]),
        message: /rules\[0\].verbs contains a wildcard/,
      },
      {
        title: "resources are *",
        resource: ROLE,
        mutate: (i) => i.rules.push(rule(["coditect.ai"], ["*"], ["get"])),
        message: /rules\[5\].resources contains a wildcard/,
      },
      {
        title: "apiGroups are *",
        resource: ROLE,
        mutate: (i) => (i.rules[1].apiGroups = ["*"]),
        message: /rules\[1\].apiGroups/,
      },
      {
        title: "a subresource wildcard is used",
        resource: ROLE,
        mutate: (i) => (i.rules[1].resources = ["workstations/*"]),
        message: /rules\[1\].resources contains a wildcard/,
      },
    ],
  },
  {
    policy: noSecretAccess,
    breaks: [
      {
        title: "secrets can be listed",
        resource: ROLE,
        mutate: (i) => i.rules.push(rule([""], ["secrets"], ["get", "list", "watch"])),
        message: /grants list, watch on secrets/,
      },
      {
        title: "every secret can be read",
        resource: ROLE,
        mutate: (i) => delete i.rules[3].resourceNames,
        message: /get on every secret \(no resourceNames\)/,
      },
      {
        title: "secrets can be created",
        resource: ROLE,
        mutate: (i) => i.rules[3].verbs.push("create"),
        message: /grants create on secrets/,
      },
      {
        title: "a core wildcard covers secrets",
        resource: ROLE,
        mutate: (i) => i.rules.push(rule([""], ["*"], ["list"])),
        message: /grants list on secrets/,
      },
    ],
    passes: [
      {
        title: "the role is exempted in config",
        resource: ROLE,
        mutate: (i) => i.rules.push(rule([""], ["secrets"], ["list"])),
        settings: { exemptRoles: ["coditect-operator"] },
      },
    ],
  },
  {
    policy: noPodCreation,
    breaks: [
      {
        title: "pods can be created",
        resource: ROLE,
        mutate: (i) => i.rules[4].verbs.push("create"),
        message: /rules\[4\] grants create on pods/,
      },
      {
        title: "pods can be exec'd into",
        resource: ROLE,
        mutate: (i) => i.rules.push(rule([""], ["pods/exec"], ["create"])),
        message: /create on pods\/exec/,
      },
      {
        title: "all verbs on pods",
        resource: ROLE,
        mutate: (i) => (i.rules[4].verbs = ["*"]),
        message: /create, update, patch on pods/,
      },
    ],
  },
  {
    policy: noEscalation,
    breaks: [
      {
        title: "the role can bind",
        resource: ROLE,
        mutate: (i) =>
          i.rules.push(rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind", "escalate"])),
        message: /grants bind, escalate/,
      },
      {
        title: "the role can impersonate",
        resource: ROLE,
        mutate: (i) => i.rules.push(rule([""], ["serviceaccounts"], ["impersonate"])),
        message: /grants impersonate/,
      },
    ],
  },
  {
    policy: noClusterAdmin,
    breaks: [
      {
        title: "the operator is bound to cluster-admin",
        resource: "operator-binding",
        mutate: (i) => (i.roleRef.name = "cluster-admin"),
        message: /roleRef is ClusterRole cluster-admin/,
      },
      {
        title: "a subject is system:masters",
        resource: "operator-binding",
        mutate: (i) => i.subjects.push({ kind: "Group", name: "system:masters" }),
        message: /system:masters/,
      },
    ],
  },
  {
    policy: withinGrantedAccess,
    breaks: [
      {
        title: "billing may watch licenses (it never does)",
        resource: "billing-role",
        mutate: (i) => i.rules[0].verbs.push("watch"),
        message:
          /rules\[0\] grants watch coditect.ai\/licenses, beyond the access recorded for coditect-billing/,
      },
      {
        title:
          "billing may update workstations (it patches only spec.user/desiredState; the operator owns them)",
        resource: "billing-role",
        mutate: (i) => i.rules[1].verbs.push("update"),
        message: /grants update coditect.ai\/workstations/,
      },
      {
        title: "billing may list namespaces",
        resource: "billing-role",
        mutate: (i) => i.rules[4].verbs.push("list"),
        message: /grants list namespaces/,
      },
      {
        title: "billing may read configmaps",
        resource: "billing-role",
        mutate: (i) => i.rules.push(rule([""], ["configmaps"], ["get"])),
        message: /rules\[5\] grants get configmaps/,
      },
      {
        title: "billing may call a non-resource URL",
        resource: "billing-role",
        mutate: (i) => i.rules.push({ nonResourceURLs: ["/metrics"], verbs: ["get"] }),
        message: /non-resource URLs/,
      },
      {
        title: "a role with an access list set in config grants more",
        resource: ROLE,
        settings: {
          grantedAccess: {
            "coditect-operator": [{ apiGroups: [""], resources: ["events"], verbs: ["create"] }],
          },
        },
        mutate: () => {},
        message: /beyond the access recorded for coditect-operator/,
      },
    ],
    passes: [
      { title: "billing grants less than recorded", resource: "billing-role", mutate: (i) => i.rules.pop() },
      {
        title: "a role has no recorded access list",
        resource: ROLE,
        mutate: (i) => i.rules[0].verbs.push("delete"),
      },
    ],
  },
]);

describe("billing's access record", () => {
  it("is exactly the ClusterRole the control plane renders (components/control-plane/rbac.ts)", () => {
    expect(BILLING_GRANTED_ACCESS).toEqual(
      BILLING_CLUSTER_RULES.map(({ apiGroups, resources, verbs }) => ({ apiGroups, resources, verbs })),
    );
  });
});
