/** Every Kubernetes manifest rule of the pack, one module per rule (see docs/policy.md). */

import type { CoditectPolicy } from "../../types.js";
import { policy as k8sCustomresourceSchemaValid } from "./k8s-customresource-schema-valid.js";
import { policy as k8sRbacBindingNoClusterAdmin } from "./k8s-rbac-binding-no-cluster-admin.js";
import { policy as k8sRbacRoleNoEscalationVerbs } from "./k8s-rbac-role-no-escalation-verbs.js";
import { policy as k8sRbacRoleNoPodCreation } from "./k8s-rbac-role-no-pod-creation.js";
import { policy as k8sRbacRoleNoSecretAccess } from "./k8s-rbac-role-no-secret-access.js";
import { policy as k8sRbacRoleNoWildcards } from "./k8s-rbac-role-no-wildcards.js";
import { policy as k8sRbacRoleWithinGrantedAccess } from "./k8s-rbac-role-within-granted-access.js";
import { policy as k8sWorkloadImageDigest } from "./k8s-workload-image-digest.js";
import { policy as k8sWorkloadNoPrivilegeEscalation } from "./k8s-workload-no-privilege-escalation.js";
import { policy as k8sWorkloadReadOnlyRootFs } from "./k8s-workload-read-only-root-fs.js";
import { policy as k8sWorkloadResourceLimits } from "./k8s-workload-resource-limits.js";
import { policy as k8sWorkloadRunAsNonRoot } from "./k8s-workload-run-as-non-root.js";

/** The Kubernetes policies, in rule-name order. */
export const kubernetesPolicies: CoditectPolicy[] = [
  k8sCustomresourceSchemaValid,
  k8sRbacBindingNoClusterAdmin,
  k8sRbacRoleNoEscalationVerbs,
  k8sRbacRoleNoPodCreation,
  k8sRbacRoleNoSecretAccess,
  k8sRbacRoleNoWildcards,
  k8sRbacRoleWithinGrantedAccess,
  k8sWorkloadImageDigest,
  k8sWorkloadNoPrivilegeEscalation,
  k8sWorkloadReadOnlyRootFs,
  k8sWorkloadResourceLimits,
  k8sWorkloadRunAsNonRoot,
];
