import { ruleCases } from "../testing/rule-cases.js";
import { policy as deletionProtection } from "./gcp-kms-cryptokey-deletion-protection.js";
import { policy as destroyDuration } from "./gcp-kms-cryptokey-destroy-scheduled-duration.js";
import { policy as noPublicIam } from "./gcp-kms-cryptokey-no-public-iam.js";
import { policy as rotation } from "./gcp-kms-cryptokey-rotation.js";
import { policy as algorithm } from "./gcp-kms-cryptokey-signing-algorithm.js";
import { policy as hsm } from "./gcp-kms-cryptokey-signing-hsm.js";

ruleCases([
  {
    policy: hsm,
    breaks: [
      {
        title: "the signing key is SOFTWARE",
        resource: "signing-key",
        mutate: (i) => (i.versionTemplate.protectionLevel = "SOFTWARE"),
        message: /protectionLevel is "SOFTWARE"/,
      },
      {
        title: "protectionLevel is unset (SOFTWARE)",
        resource: "signing-key",
        mutate: (i) => delete i.versionTemplate.protectionLevel,
        message: /SOFTWARE when unset/,
      },
    ],
    passes: [
      {
        title: "a symmetric key is SOFTWARE",
        resource: "artifact-cmek",
        mutate: (i) =>
          (i.versionTemplate = { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" }),
      },
    ],
  },
  {
    policy: algorithm,
    breaks: [
      {
        title: "the signing key is RSA 2048",
        resource: "signing-key",
        mutate: (i) => (i.versionTemplate.algorithm = "RSA_SIGN_PKCS1_2048_SHA256"),
        message: /RSA_SIGN_PKCS1_2048_SHA256/,
      },
      {
        title: "P-256 is not in a configured allow-list",
        resource: "signing-key",
        mutate: (i) => (i.versionTemplate.algorithm = "EC_SIGN_P256_SHA256"),
        settings: { allowedAlgorithms: ["EC_SIGN_P384_SHA384"] },
        message: /allowed: EC_SIGN_P384_SHA384\./,
      },
    ],
    passes: [
      {
        title: "the key uses P-256",
        resource: "signing-key",
        mutate: (i) => (i.versionTemplate.algorithm = "EC_SIGN_P256_SHA256"),
      },
    ],
  },
  {
    policy: rotation,
    breaks: [
      {
        title: "a symmetric key never rotates",
        resource: "artifact-cmek",
        mutate: (i) => delete i.rotationPeriod,
        message: /the key never rotates/,
      },
      {
        title: "a symmetric key rotates yearly",
        resource: "artifact-cmek",
        mutate: (i) => (i.rotationPeriod = "31536000s"),
        message: /longer than 90 days/,
      },
      {
        title: "the asymmetric signing key sets a rotation period",
        resource: "signing-key",
        mutate: (i) => (i.rotationPeriod = "7776000s"),
        message: /on a ASYMMETRIC_SIGN key: Cloud KMS only rotates symmetric keys/,
      },
    ],
    passes: [
      {
        title: "a symmetric key rotates every 30 days",
        resource: "artifact-cmek",
        mutate: (i) => (i.rotationPeriod = "2592000s"),
      },
    ],
  },
  {
    policy: deletionProtection,
    breaks: [
      {
        title: "deletionPolicy is unset",
        resource: "signing-key",
        mutate: (i) => delete i.deletionPolicy,
        message: /DELETE when unset/,
      },
      {
        title: "deletionPolicy is DELETE",
        resource: "artifact-cmek",
        mutate: (i) => (i.deletionPolicy = "DELETE"),
        message: /deletionPolicy is "DELETE"/,
      },
    ],
    passes: [
      {
        title: "the resource is protected by the protect option",
        resource: "signing-key",
        mutate: (i, plan) => {
          delete i.deletionPolicy;
          plan.resources.find((r) => r.name === "signing-key")!.protect = true;
        },
      },
      {
        title: "deletionPolicy is ABANDON",
        resource: "signing-key",
        mutate: (i) => (i.deletionPolicy = "ABANDON"),
      },
    ],
  },
  {
    policy: destroyDuration,
    breaks: [
      {
        title: "destruction is scheduled after one day",
        resource: "artifact-cmek",
        mutate: (i) => (i.destroyScheduledDuration = "86400s"),
        message: /shorter than 30 days/,
      },
    ],
    passes: [
      {
        title: "the duration is left at the default",
        resource: "artifact-cmek",
        mutate: (i) => delete i.destroyScheduledDuration,
      },
    ],
  },
  {
    policy: noPublicIam,
    breaks: [
      {
        title: "publicKeyViewer goes to allUsers (seed-notes D4)",
        resource: "signer",
        mutate: (i) => {
          i.role = "roles/cloudkms.publicKeyViewer";
          i.member = "allUsers";
        },
        message: /roles\/cloudkms.publicKeyViewer to the public member allUsers/,
      },
      {
        title: "a key ring binding includes allAuthenticatedUsers",
        resource: "signer",
        mutate: (i, plan) => {
          const target = plan.resources.find((r) => r.name === "signer")!;
          target.type = "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding";
          delete i.member;
          i.members = ["allAuthenticatedUsers"];
        },
        message: /allAuthenticatedUsers/,
      },
    ],
  },
]);
