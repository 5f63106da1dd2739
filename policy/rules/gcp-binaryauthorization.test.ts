import { ruleCases } from "../testing/rule-cases.js";
import { policy as requireSignatures } from "./gcp-binaryauthorization-policy-require-signatures.js";

const POLICY = "gke-admission";

ruleCases([
  {
    policy: requireSignatures,
    breaks: [
      {
        title: "the stack has a cluster but no Binary Authorization policy",
        resource: "gke",
        mutate: (_i, plan) => {
          plan.resources = plan.resources.filter((r) => r.name !== POLICY);
        },
        message: /no Binary Authorization policy in this stack/,
      },
      {
        title: "enforcement is dry-run (audit log only)",
        resource: POLICY,
        mutate: (i) => (i.defaultAdmissionRule.enforcementMode = "DRYRUN_AUDIT_LOG_ONLY"),
        message: /enforcementMode is "DRYRUN_AUDIT_LOG_ONLY": unsigned images are only logged, not blocked/,
      },
      {
        title: "enforcement mode is unset",
        resource: POLICY,
        mutate: (i) => delete i.defaultAdmissionRule.enforcementMode,
        message: /enforcementMode is unset/,
      },
      {
        title: "the default rule admits everything",
        resource: POLICY,
        mutate: (i) => (i.defaultAdmissionRule.evaluationMode = "ALWAYS_ALLOW"),
        message: /evaluationMode is "ALWAYS_ALLOW": images are admitted without our signature/,
      },
      {
        title: "the default rule only denies by registry path (the old policy)",
        resource: POLICY,
        mutate: (i) => {
          i.defaultAdmissionRule = {
            evaluationMode: "ALWAYS_DENY",
            enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG",
          };
          i.admissionWhitelistPatterns = [
            { namePattern: "us-central1-docker.pkg.dev/p/coditect-platform/**" },
          ];
        },
        message:
          /exempts "us-central1-docker.pkg.dev\/p\/coditect-platform\/\*\*": those images skip the signature check/,
      },
      {
        title: "no attestor is required",
        resource: POLICY,
        mutate: (i) => (i.defaultAdmissionRule.requireAttestationsBies = []),
        message: /requireAttestationsBies is empty/,
      },
      {
        title: "a cluster-specific rule is dry-run",
        resource: POLICY,
        mutate: (i) =>
          (i.clusterAdmissionRules = [
            {
              cluster: "us-central1.coditect-control-plane",
              evaluationMode: "REQUIRE_ATTESTATION",
              enforcementMode: "DRYRUN_AUDIT_LOG_ONLY",
              requireAttestationsBies: ["projects/p/attestors/coditect-release"],
            },
          ]),
        message:
          /clusterAdmissionRules\["us-central1.coditect-control-plane"\].enforcementMode is "DRYRUN_AUDIT_LOG_ONLY"/,
      },
      {
        title: "the attestor's key is P-256 while the signing key is P-384",
        resource: "release-attestor",
        mutate: (i) =>
          (i.attestationAuthorityNote.publicKeys[0].pkixPublicKey.signatureAlgorithm = "ECDSA_P256_SHA256"),
        message: /attestor keys use \["ECDSA_P256_SHA256"\]/,
      },
    ],
    passes: [
      {
        title: "the stack has no GKE cluster (and so no policy)",
        resource: "gke",
        mutate: (_i, plan) => {
          plan.resources = plan.resources.filter(
            (r) => r.name !== POLICY && r.name !== "gke" && r.name !== "gke-pool",
          );
        },
      },
    ],
  },
]);
