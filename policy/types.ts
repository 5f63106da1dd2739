/**
 * The shape every CODITECT policy has on top of `@pulumi/policy`'s own Policy: the pack stays a plain
 * CrossGuard pack, while the offline evaluator, the CLI and docs/policy.md read the same fields.
 */
import type { ResourceValidationPolicy, Severity, StackValidationPolicy } from "@pulumi/policy";

/** The two levels this project uses; "disabled" is only ever set through configuration. */
export type DefaultEnforcement = "advisory" | "mandatory";

/** Fields every rule must carry (Policy has them optional; we require them). */
export interface RuleFields {
  /** `gcp-<service>-<resource>-<rule>` or `k8s-<kind>-<rule>`; unique in the pack. */
  name: string;
  description: string;
  /** Default level; policy/config.json or `--enforcement rule=level` override it. */
  enforcementLevel: DefaultEnforcement;
  severity: Severity;
  /** What to change, naming the SDK input field (or manifest field) to set. */
  remediationSteps: string;
  /**
   * The scanner check this rule follows (Checkov CKV_GCP_xx, Trivy AVD-GCP-xxxx, KICS, Kubernetes Pod
   * Security Standards, …), or undefined when no scanner has it (our own invariant).
   */
  anchor: string | undefined;
}

export type CoditectResourcePolicy = ResourceValidationPolicy & RuleFields;
export type CoditectStackPolicy = StackValidationPolicy & RuleFields;
export type CoditectPolicy = CoditectResourcePolicy | CoditectStackPolicy;

/** True when the policy validates the whole stack rather than one resource at a time. */
export function isStackPolicy(policy: CoditectPolicy): policy is CoditectStackPolicy {
  return typeof (policy as CoditectStackPolicy).validateStack === "function";
}
