/**
 * EncryptionKeys: customer-managed (CMEK) symmetric keys for the services that store our data — Artifact
 * Registry, GKE application-layer secrets and Cloud SQL — each granted only to that service's Google
 * agent. Keys rotate every 90 days (symmetric keys can; the signing key cannot, see SigningKey) and are
 * protected from `pulumi destroy`: losing one makes the data it encrypts unreadable.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, gcpResourceId } from "./naming.js";
import { PropagationWait } from "./propagation-wait.js";

/**
 * What each key encrypts, and the API whose Google service agent must use it. Agents of APIs that support
 * generateServiceIdentity are created in code (a fresh project has none until then); GKE's agent
 * (container-engine-robot) exists as soon as the Kubernetes Engine API is enabled, so its member is derived
 * from the project number (ADR 0100).
 */
export const CMEK_PURPOSES = {
  "artifact-registry": { service: "artifactregistry.googleapis.com" },
  "gke-secrets": { agentDomain: "container-engine-robot.iam.gserviceaccount.com" },
  "cloud-sql": { service: "sqladmin.googleapis.com" },
  "secret-manager": { service: "secretmanager.googleapis.com" },
} as const satisfies Record<string, { service: string } | { agentDomain: string }>;
export type CmekPurpose = keyof typeof CMEK_PURPOSES;

/**
 * Seconds to wait after the key grants before anything uses a key. IAM changes usually take effect within
 * 60 s and Google documents up to 7 minutes; Cloud SQL, Artifact Registry and GKE fail creation (not retry)
 * when the agent cannot use the key yet (ADR 0100).
 */
export const IAM_PROPAGATION_SECONDS = 120;

/** 90 days, in the duration format the KMS API expects. */
export const SYMMETRIC_ROTATION_PERIOD = `${90 * 24 * 3600}s`;

export interface EncryptionKeysArgs {
  project: pulumi.Input<string>;
  /** Numeric project number (from gcp.organizations.getProjectOutput): GKE's agent is derived from it. */
  projectNumber: pulumi.Input<string>;
  /** Override for tests; default IAM_PROPAGATION_SECONDS. */
  propagationSeconds?: number;
  /** KMS location; must equal the region of the resources the keys encrypt. */
  location: pulumi.Input<string>;
  labels: Record<string, string>;
}

export class EncryptionKeys extends pulumi.ComponentResource {
  /**
   * Key ids per purpose. Each id resolves only after every agent grant exists and the propagation wait is
   * over, so a resource that uses the id is created after both (otherwise the service would fail to).
   */
  readonly keyIds: Record<CmekPurpose, pulumi.Output<string>>;
  /** The service agents' members per purpose. */
  readonly agentMembers: Record<CmekPurpose, pulumi.Output<string>>;

  constructor(name: string, args: EncryptionKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:EncryptionKeys", name, {}, opts);
    // Key rings can never be deleted in Cloud KMS: protected, and left in place if the stack forgets it.
    const ring = new gcp.kms.KeyRing(
      childName(name, "ring"),
      { project: args.project, location: args.location, name: gcpResourceId([name]) },
      { parent: this, protect: true, retainOnDelete: true },
    );
    const keys: [CmekPurpose, gcp.kms.CryptoKey][] = [];
    const grants: gcp.kms.CryptoKeyIAMMember[] = [];
    const members: Partial<Record<CmekPurpose, pulumi.Output<string>>> = {};
    for (const [purpose, agent] of Object.entries(CMEK_PURPOSES) as [
      CmekPurpose,
      { service?: string; agentDomain?: string },
    ][]) {
      const member = agent.service
        ? new gcp.projects.ServiceIdentity(
            childName(name, `${purpose}-agent-identity`),
            { project: args.project, service: agent.service },
            { parent: this },
          ).member
        : pulumi.interpolate`serviceAccount:service-${args.projectNumber}@${agent.agentDomain}`;
      members[purpose] = member;
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
      keys.push([purpose, key]);
      grants.push(
        new gcp.kms.CryptoKeyIAMMember(
          childName(name, `${purpose}-agent`),
          { cryptoKeyId: key.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member },
          { parent: this },
        ),
      );
    }
    const propagated = new PropagationWait(
      childName(name, "iam-propagation"),
      { seconds: args.propagationSeconds ?? IAM_PROPAGATION_SECONDS, triggers: grants.map((g) => g.id) },
      { parent: this, dependsOn: grants },
    );
    const ids: Partial<Record<CmekPurpose, pulumi.Output<string>>> = {};
    for (const [purpose, key] of keys) {
      ids[purpose] = pulumi.all([key.id, propagated.id]).apply(([id]) => id);
    }
    this.agentMembers = members as Record<CmekPurpose, pulumi.Output<string>>;
    this.keyIds = ids as Record<CmekPurpose, pulumi.Output<string>>;
    this.registerOutputs({ keyIds: this.keyIds });
  }
}
