/**
 * The whole pack: GCP rules and Kubernetes manifest rules. Imported by the pack entry (index.ts), the
 * offline CLI and the tests — never constructs the PolicyPack itself.
 */
import { kubernetesPolicies } from "./kubernetes/rules/index.js";
import { policies as gcpPolicies } from "./rules/index.js";
import type { CoditectPolicy } from "./types.js";

export const allPolicies: readonly CoditectPolicy[] = [...gcpPolicies, ...kubernetesPolicies];

/** Rule names, for validating config files and `--enforcement` flags. */
export const policyNames: ReadonlySet<string> = new Set(allPolicies.map((policy) => policy.name));
