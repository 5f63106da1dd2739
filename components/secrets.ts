/**
 * ControlPlaneSecrets: Secret Manager secrets the control plane reads, created EMPTY.
 *
 * Payloads are stored in one region and encrypted with our key. Values never pass through Pulumi (so never
 * through its state): ops add versions out of band with
 * `gcloud secrets versions add` (docs/operations.md). Each secret is readable only by the identities listed
 * for it; pods mount them through the Secret Manager CSI add-on (ADR 0025).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { assertNoPublicMembers } from "./iam-members.js";
import { childName } from "./naming.js";

/** The control plane's secrets, their purpose, and who reads them. */
export const CONTROL_PLANE_SECRETS = {
  "stripe-secret-key": { reader: "billing", purpose: "Stripe API secret key (sk_live_…)" },
  "stripe-webhook-secret": { reader: "billing", purpose: "Stripe webhook signing secret (whsec_…)" },
  "billing-admin-token": { reader: "billing", purpose: "Bearer token of the billing admin API" },
  "billing-database-password": { reader: "billing", purpose: "Password of the billing Postgres user" },
  "billing-migration-database-password": {
    reader: "billing",
    purpose: "Password of the Postgres migration user (owns billing's tables; ADR 0166)",
  },
  "smtp-password": {
    reader: "billing",
    purpose: "Password of the SMTP relay notifications are sent through (only with controlPlane.smtp.user)",
  },
  "account-google-client-secret": {
    reader: "billing",
    purpose:
      "Client secret of customers' Sign in with Google OAuth client (only with controlPlane.accountGoogleClientId)",
  },
  "offline-token-signing-key": {
    reader: "billing",
    purpose: "Ed25519 private key (PKCS#8 PEM) for offline tokens",
  },
} as const;
export type ControlPlaneSecretId = keyof typeof CONTROL_PLANE_SECRETS;
export type SecretReader = (typeof CONTROL_PLANE_SECRETS)[ControlPlaneSecretId]["reader"];

export interface ControlPlaneSecretsArgs {
  project: pulumi.Input<string>;
  /** Region the secret payloads are stored in (user-managed replication, one replica). */
  location: string;
  /** CMEK key (in `location`) encrypting the payloads. */
  kmsKeyName: pulumi.Input<string>;
  /** IAM member per reader role (e.g. billing → serviceAccount:coditect-billing@…). */
  readers: Record<SecretReader, pulumi.Input<string>>;
  labels: Record<string, string>;
}

export class ControlPlaneSecrets extends pulumi.ComponentResource {
  readonly secrets: Record<ControlPlaneSecretId, gcp.secretmanager.Secret>;
  /** Full secret resource names (`projects/…/secrets/<id>`), for SecretProviderClass entries. */
  readonly secretNames: Record<ControlPlaneSecretId, pulumi.Output<string>>;

  constructor(name: string, args: ControlPlaneSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    assertNoPublicMembers(
      Object.values(args.readers).filter((m): m is string => typeof m === "string"),
      "ControlPlaneSecrets readers",
    );
    super("coditect:index:ControlPlaneSecrets", name, {}, opts);
    const secrets: Partial<Record<ControlPlaneSecretId, gcp.secretmanager.Secret>> = {};
    const names: Partial<Record<ControlPlaneSecretId, pulumi.Output<string>>> = {};
    for (const [id, spec] of Object.entries(CONTROL_PLANE_SECRETS) as [
      ControlPlaneSecretId,
      (typeof CONTROL_PLANE_SECRETS)[ControlPlaneSecretId],
    ][]) {
      const secret = new gcp.secretmanager.Secret(
        childName(name, id),
        {
          project: args.project,
          secretId: id,
          replication: {
            userManaged: {
              replicas: [
                { location: args.location, customerManagedEncryption: { kmsKeyName: args.kmsKeyName } },
              ],
            },
          },
          deletionProtection: true,
          annotations: { purpose: spec.purpose },
          labels: { ...args.labels, reader: spec.reader },
        },
        { parent: this },
      );
      new gcp.secretmanager.SecretIamMember(
        childName(name, `${id}-${spec.reader}`),
        {
          project: args.project,
          secretId: secret.secretId,
          role: "roles/secretmanager.secretAccessor",
          member: args.readers[spec.reader],
        },
        { parent: this },
      );
      secrets[id] = secret;
      names[id] = secret.name;
    }
    this.secrets = secrets as Record<ControlPlaneSecretId, gcp.secretmanager.Secret>;
    this.secretNames = names as Record<ControlPlaneSecretId, pulumi.Output<string>>;
    this.registerOutputs({ secretNames: this.secretNames });
  }
}
