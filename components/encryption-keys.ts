/**
 * EncryptionKeys: customer-managed (CMEK) symmetric keys for the services that store our data — Artifact
 * Registry, GKE application-layer secrets and Cloud SQL — each granted only to that service's Google
 * agent. Keys rotate every 90 days (symmetric keys can; the signing key cannot, see SigningKey) and are
 * protected from `pulumi destroy`: losing one makes the data it encrypts unreadable.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, gcpResourceId } from "./naming.js";

/** What each key encrypts, mapped to the Google service agent that must use it. */
export const CMEK_PURPOSES = {
  "artifact-registry": (projectNumber: string) =>
    `serviceAccount:service-${projectNumber}@gcp-sa-artifactregistry.iam.gserviceaccount.com`,
  "gke-secrets": (projectNumber: string) =>
    `serviceAccount:service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`,
  "cloud-sql": (projectNumber: string) =>
    `serviceAccount:service-${projectNumber}@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
  "secret-manager": (projectNumber: string) =>
    `serviceAccount:service-${projectNumber}@gcp-sa-secretmanager.iam.gserviceaccount.com`,
} as const;
export type CmekPurpose = keyof typeof CMEK_PURPOSES;

/** 90 days, in the duration format the KMS API expects. */
export const SYMMETRIC_ROTATION_PERIOD = `${90 * 24 * 3600}s`;

export interface EncryptionKeysArgs {
  project: pulumi.Input<string>;
  /** Numeric project number: service agent identities are derived from it. */
  projectNumber: string;
  /** KMS location; must equal the region of the resources the keys encrypt. */
  location: pulumi.Input<string>;
  labels: Record<string, string>;
}

export class EncryptionKeys extends pulumi.ComponentResource {
  /**
   * Key ids per purpose. Each id resolves only after the service agent's grant exists, so a resource that
   * uses the id automatically waits for the grant (otherwise the service would fail to create it).
   */
  readonly keyIds: Record<CmekPurpose, pulumi.Output<string>>;

  constructor(name: string, args: EncryptionKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:EncryptionKeys", name, {}, opts);
    const ring = new gcp.kms.KeyRing(
      childName(name, "ring"),
      { project: args.project, location: args.location, name: gcpResourceId([name]) },
      { parent: this, protect: true },
    );
    const ids: Partial<Record<CmekPurpose, pulumi.Output<string>>> = {};
    for (const [purpose, agentOf] of Object.entries(CMEK_PURPOSES) as [
      CmekPurpose,
      (n: string) => string,
    ][]) {
      const key = new gcp.kms.CryptoKey(
        childName(name, purpose),
        {
          keyRing: ring.id,
          name: purpose,
          purpose: "ENCRYPT_DECRYPT",
          rotationPeriod: SYMMETRIC_ROTATION_PERIOD,
          versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
          labels: args.labels,
        },
        { parent: this, protect: true },
      );
      const grant = new gcp.kms.CryptoKeyIAMMember(
        childName(name, `${purpose}-agent`),
        {
          cryptoKeyId: key.id,
          role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
          member: agentOf(args.projectNumber),
        },
        { parent: this },
      );
      ids[purpose] = pulumi.all([key.id, grant.id]).apply(([id]) => id);
    }
    this.keyIds = ids as Record<CmekPurpose, pulumi.Output<string>>;
    this.registerOutputs({ keyIds: this.keyIds });
  }
}
