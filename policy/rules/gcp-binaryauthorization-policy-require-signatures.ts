/**
 * Stack policy: GKE admits only images signed with our key. Every stack with a GKE cluster declares a
 * Binary Authorization policy whose default rule (and every cluster rule) requires an attestation by an
 * attestor, in ENFORCED_BLOCK_AND_AUDIT_LOG mode — DRYRUN_AUDIT_LOG_ONLY only logs, ALWAYS_ALLOW and
 * allowlisted name patterns skip the check — and each attestor the stack declares verifies with the
 * ECDSA P-384/SHA-384 key (the HSM EC_SIGN_P384_SHA384 signing key). Issue 14 §4, ADR 0190.
 * Severity: high. Anchor: none (Binary Authorization policy reference).
 */
import * as gcp from "@pulumi/gcp";
import { shown } from "../rule.js";
import type { CoditectStackPolicy } from "../types.js";

const CLUSTER_TYPE = (gcp.container.Cluster as unknown as { __pulumiType: string }).__pulumiType;
const POLICY_TYPE = (gcp.binaryauthorization.Policy as unknown as { __pulumiType: string }).__pulumiType;
const ATTESTOR_TYPE = (gcp.binaryauthorization.Attestor as unknown as { __pulumiType: string }).__pulumiType;

interface AdmissionRule {
  evaluationMode?: unknown;
  enforcementMode?: unknown;
  requireAttestationsBies?: unknown;
  cluster?: unknown;
}

/** What is wrong with one admission rule, or undefined when it blocks unsigned images. */
export function admissionRuleProblem(rule: AdmissionRule | undefined, where: string): string | undefined {
  if (!rule) return `${where} is unset: unsigned images are admitted.`;
  if (rule.evaluationMode !== "REQUIRE_ATTESTATION") {
    return `${where}.evaluationMode is ${shown(rule.evaluationMode)}: images are admitted without our signature (use REQUIRE_ATTESTATION).`;
  }
  if (!Array.isArray(rule.requireAttestationsBies) || rule.requireAttestationsBies.length === 0) {
    return `${where}.requireAttestationsBies is empty: no attestor checks the signature.`;
  }
  if (rule.enforcementMode !== "ENFORCED_BLOCK_AND_AUDIT_LOG") {
    return `${where}.enforcementMode is ${shown(rule.enforcementMode)}: unsigned images are only logged, not blocked (use ENFORCED_BLOCK_AND_AUDIT_LOG).`;
  }
  return undefined;
}

export const policy: CoditectStackPolicy = {
  name: "gcp-binaryauthorization-policy-require-signatures",
  description:
    "GKE must admit only images attested with our signing key, blocking (not dry-run) everything else.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Declare a gcp.binaryauthorization.Policy with `defaultAdmissionRule.evaluationMode` REQUIRE_ATTESTATION, `requireAttestationsBies` naming the release attestor, `enforcementMode` ENFORCED_BLOCK_AND_AUDIT_LOG and no `admissionWhitelistPatterns`, and an Attestor whose `pkixPublicKey.signatureAlgorithm` is ECDSA_P384_SHA384 (components/image-attestor.ts).",
  anchor: undefined,
  validateStack: (args, reportViolation) => {
    const clusters = args.resources.filter((r) => r.type === CLUSTER_TYPE);
    if (clusters.length === 0) args.notApplicable("no GKE cluster in this stack");
    const policies = args.resources.filter((r) => r.type === POLICY_TYPE);
    if (policies.length === 0) {
      for (const cluster of clusters) {
        reportViolation(
          "no Binary Authorization policy in this stack: the cluster admits unsigned images.",
          cluster.urn,
        );
      }
    }
    for (const p of policies) {
      const props = p.props as {
        defaultAdmissionRule?: AdmissionRule;
        clusterAdmissionRules?: AdmissionRule[];
        admissionWhitelistPatterns?: { namePattern?: unknown }[];
      };
      const problems = [
        admissionRuleProblem(props.defaultAdmissionRule, "defaultAdmissionRule"),
        ...(props.clusterAdmissionRules ?? []).map((rule) =>
          admissionRuleProblem(rule, `clusterAdmissionRules[${shown(rule.cluster)}]`),
        ),
        ...(props.admissionWhitelistPatterns ?? []).map(
          (w) =>
            `admissionWhitelistPatterns exempts ${shown(w.namePattern)}: those images skip the signature check.`,
        ),
      ];
      for (const problem of problems) if (problem) reportViolation(problem, p.urn);
    }
    for (const attestor of args.resources.filter((r) => r.type === ATTESTOR_TYPE)) {
      const keys =
        (
          attestor.props as {
            attestationAuthorityNote?: {
              publicKeys?: { pkixPublicKey?: { signatureAlgorithm?: unknown } }[];
            };
          }
        ).attestationAuthorityNote?.publicKeys ?? [];
      const algorithms = keys.map((k) => k.pkixPublicKey?.signatureAlgorithm);
      if (algorithms.length === 0 || algorithms.some((a) => a !== "ECDSA_P384_SHA384")) {
        reportViolation(
          `attestor keys use ${shown(algorithms)}: the signing key is EC_SIGN_P384_SHA384, so every key must be a PKIX ECDSA_P384_SHA384 key.`,
          attestor.urn,
        );
      }
    }
  },
};
