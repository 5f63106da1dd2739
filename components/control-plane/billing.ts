/**
 * The billing service's workload: Deployment (hardened pods, secrets mounted from Secret Manager through
 * the GKE Secret Manager CSI add-on, Cloud SQL over verified TLS), Service with container-native load
 * balancing, HPA 2–10 on CPU, a disruption budget, and a GKE Ingress with a Google-managed certificate
 * on a reserved static IP, HTTPS only.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PRODUCT_NAMES } from "../../billing/config.js";
import { PUBLIC_ROUTES } from "../../billing/http/public-routes.js";
import { childName, gcpResourceId } from "../naming.js";
import type { ControlPlaneSecretId } from "../secrets.js";
import {
  containerResources,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  TMP_MOUNT,
  TMP_VOLUME,
} from "./pod-security.js";

export const BILLING_PORT = 8080;
export const SECRETS_MOUNT_PATH = "/etc/coditect/secrets";
export const DATABASE_CA_MOUNT_PATH = "/etc/coditect/cloudsql";
/** The migration step's secrets: mounted in the init container only (ADR 0166). */
export const MIGRATION_SECRETS_MOUNT_PATH = "/etc/coditect/migration-secrets";
/** The migration step's files: its own password, and the runtime login's, which it sets. */
export const MIGRATION_SECRET_FILES: ControlPlaneSecretId[] = [
  "billing-migration-database-password",
  "billing-database-password",
];

/** Env var → secret file. Billing reads `<VAR>_FILE` (ADR 0025): values never appear in the pod spec. */
export const BILLING_SECRET_FILES: Record<string, ControlPlaneSecretId> = {
  STRIPE_SECRET_KEY_FILE: "stripe-secret-key",
  STRIPE_WEBHOOK_SECRET_FILE: "stripe-webhook-secret",
  DATABASE_PASSWORD_FILE: "billing-database-password",
  OFFLINE_TOKEN_KEYS_FILE: "offline-token-signing-key",
};
/** Mounted only while break-glass is switched on (`controlPlane.admins.breakGlass`, ADR 0165). */
export const BREAK_GLASS_SECRET_FILE: Record<string, ControlPlaneSecretId> = {
  ADMIN_TOKEN_FILE: "billing-admin-token",
};

/** Mounted only when the SMTP relay authenticates with a user and password (`controlPlane.smtp.user`). */
export const SMTP_PASSWORD_SECRET_FILE: Record<string, ControlPlaneSecretId> = {
  SMTP_PASSWORD_FILE: "smtp-password",
};

/**
 * Mounted only with `controlPlane.accountGoogleClientId`: the OAuth client's secret, with which billing
 * exchanges the pages' sign-in codes (ADR 0286). A Secret Manager secret, never in Pulumi state.
 */
export const ACCOUNT_GOOGLE_SECRET_FILE: Record<string, ControlPlaneSecretId> = {
  ACCOUNT_GOOGLE_CLIENT_SECRET_FILE: "account-google-client-secret",
};

/** The relay billing's notification sender delivers through (billing/notifications, ADR 0210). */
export interface BillingSmtp {
  host: string;
  port: number;
  /** The From address of every notification. */
  from: string;
  /** Set when the relay wants SMTP AUTH; its password is the `smtp-password` secret (mounted, never in state). */
  user?: string | undefined;
}

/** The notification sender's env: the relay; the password only as a mounted file. */
export function smtpEnv(smtp: BillingSmtp | undefined): { name: string; value: string }[] {
  if (!smtp) return [];
  return [
    { name: "SMTP_HOST", value: smtp.host },
    { name: "SMTP_PORT", value: String(smtp.port) },
    { name: "SMTP_FROM", value: smtp.from },
    ...(smtp.user ? [{ name: "SMTP_USER", value: smtp.user }] : []),
  ];
}

/** Customers' Google sign-in (issue 16, ADR 0220): the ID tokens' audience; none = email links only. */
export function accountGoogleEnv(clientId: string | undefined): { name: string; value: string }[] {
  return clientId ? [{ name: "ACCOUNT_GOOGLE_CLIENT_ID", value: clientId }] : [];
}

/** Who may use billing's admin API and how they prove it (ADR 0165). */
export interface BillingAdmins {
  /** Google accounts allowed to act as admins; each is the audit actor of what it does. */
  emails: string[];
  /** Audiences of accepted Google ID tokens (gcloud's client id for `gcloud auth print-identity-token`). */
  idTokenAudiences: string[];
  /** IAP's audience (`/projects/<number>/global/backendServices/<id>`) when IAP fronts the admin surface. */
  iapAudience?: string | undefined;
  /** Mount the shared token and accept it (ADMIN_BREAK_GLASS=true): the break-glass procedure only. */
  breakGlass: boolean;
}

/**
 * Env var → secret file of what billing mounts: the break-glass token only while switched on, the SMTP
 * password only with an SMTP user, the Google client secret only with a Google client id.
 */
export function billingSecretFiles(
  admins: Pick<BillingAdmins, "breakGlass">,
  smtp?: Pick<BillingSmtp, "user"> | undefined,
  accountGoogleClientId?: string | undefined,
): Record<string, ControlPlaneSecretId> {
  return {
    ...BILLING_SECRET_FILES,
    ...(admins.breakGlass ? BREAK_GLASS_SECRET_FILE : {}),
    ...(smtp?.user ? SMTP_PASSWORD_SECRET_FILE : {}),
    ...(accountGoogleClientId ? ACCOUNT_GOOGLE_SECRET_FILE : {}),
  };
}

/** The admin API's env: the allow-list and how identities are proven; break-glass only when switched on. */
export function adminEnv(admins: BillingAdmins): { name: string; value: string }[] {
  if (admins.emails.length === 0) {
    throw new Error("billing needs at least one admin email (controlPlane.admins.emails)");
  }
  return [
    { name: "ADMIN_EMAILS", value: admins.emails.join(",") },
    ...(admins.idTokenAudiences.length > 0
      ? [{ name: "ADMIN_ID_TOKEN_AUDIENCES", value: admins.idTokenAudiences.join(",") }]
      : []),
    ...(admins.iapAudience ? [{ name: "ADMIN_IAP_AUDIENCE", value: admins.iapAudience }] : []),
    ...(admins.breakGlass ? [{ name: "ADMIN_BREAK_GLASS", value: "true" }] : []),
  ];
}

/** The `secrets` parameter of a GKE SecretProviderClass: latest version of each secret, one file each. */
export function secretProviderEntries(secretNames: Record<string, string>): string {
  return Object.entries(secretNames)
    .map(([file, name]) => `- resourceName: "${name}/versions/latest"\n  path: "${file}"`)
    .join("\n");
}

export const DATABASE_CA_FILE = `${DATABASE_CA_MOUNT_PATH}/server-ca.pem`;

/**
 * Password-less URL (the password comes from DATABASE_PASSWORD_FILE); TLS verified against the instance CA,
 * without a hostname check. Cloud SQL's server certificate names the instance, not its private IP, so a
 * hostname check can never pass. pg-connection-string 2.x reads `sslmode=verify-ca` as verify-full unless
 * `uselibpqcompat=true` asks for libpq's meaning (chain verified against sslrootcert, name not checked):
 * ADR 0035. `port`/`caFile` differ only in tests.
 */
export function databaseUrl(
  host: string,
  database: string,
  user: string,
  options: { port?: number; caFile?: string } = {},
): string {
  const caFile = options.caFile ?? DATABASE_CA_FILE;
  return `postgres://${user}@${host}:${options.port ?? 5432}/${database}?uselibpqcompat=true&sslmode=verify-ca&sslrootcert=${caFile}`;
}

export interface BillingWorkloadArgs {
  project: pulumi.Input<string>;
  namespace: pulumi.Input<string>;
  serviceAccountName: pulumi.Input<string>;
  image: string;
  labels: Record<string, string>;
  host: string;
  minReplicas: number;
  maxReplicas: number;
  databaseHost: pulumi.Input<string>;
  databaseName: string;
  /** The runtime login billing serves as (created by the migration step, member of billing_runtime). */
  databaseUser: string;
  /** The Cloud SQL user that owns the schema and runs migrations (ADR 0166). */
  migrationUser: string;
  /** PEM of the Cloud SQL server CA. */
  databaseServerCa: pulumi.Input<string>;
  secretNames: Record<ControlPlaneSecretId, pulumi.Input<string>>;
  /** Stripe price id per product, passed as STRIPE_PRICE_<PRODUCT> (billing/config.ts). */
  stripePriceIds: Record<string, string>;
  /** The workstation fleet's service account: workstation containers prove who they are with its tokens. */
  workstationServiceAccountEmail: pulumi.Input<string>;
  admins: BillingAdmins;
  /** The SMTP relay of notifications; absent → messages stay queued in the outbox (docs/accounts.md). */
  smtp?: BillingSmtp | undefined;
  /** Licensed registry pull credentials (issue 15, ADR 0203): absent = billing issues none. */
  registry?: BillingRegistryArgs;
  /**
   * OAuth client id of customers' "Sign in with Google" (ADRs 0220, 0286); absent = email links only. When
   * set, the `account-google-client-secret` secret is mounted too: it needs a version before deploying.
   */
  accountGoogleClientId?: string | undefined;
}

/** Artifact Registry pull tokens: billing impersonates the tier's pull identity (ADR 0023). */
export interface BillingRegistryArgs {
  /** `<region>-docker.pkg.dev`. */
  host: string;
  /** `<project>/`: the path before the tier repositories. */
  repositoryPrefix: string;
  pullServiceAccounts: { pro: pulumi.Input<string>; enterprise: pulumi.Input<string> };
}

/** REGISTRY_* for billing (billing/registry/config.ts): Google access tokens of the pull identities. */
export function registryEnv(registry: BillingRegistryArgs | undefined) {
  if (!registry) return [];
  return [
    { name: "REGISTRY_CREDENTIALS", value: "google-access-token" },
    { name: "REGISTRY_HOST", value: registry.host },
    { name: "REGISTRY_REPOSITORY_PREFIX", value: registry.repositoryPrefix },
    {
      name: "REGISTRY_PULL_SERVICE_ACCOUNTS",
      value: pulumi.interpolate`pro=${registry.pullServiceAccounts.pro},enterprise=${registry.pullServiceAccounts.enterprise}`,
    },
  ];
}

/** The public URL of billing; also the audience the workstation entrypoint asks its identity token for. */
export function billingUrl(host: string): string {
  return `https://${host}`;
}

/** The Ingress paths: billing's public routes only (billing/http/public-routes.ts), never `/`. */
export function ingressPaths(serviceName: pulumi.Input<string>) {
  return PUBLIC_ROUTES.map((route) => ({
    path: route.path,
    pathType: route.pathType,
    backend: { service: { name: serviceName, port: { number: 80 } } },
  }));
}

export function createBillingWorkload(
  name: string,
  args: BillingWorkloadArgs,
  opts: pulumi.CustomResourceOptions,
) {
  const missingPrices = PRODUCT_NAMES.filter((p) => !args.stripePriceIds[p]);
  if (missingPrices.length > 0) {
    // Billing has no default price ids (it would refuse to start): fail the preview instead.
    throw new Error(
      `billing needs a Stripe price id for every product; missing: ${missingPrices.join(", ")} (controlPlane.stripePriceIds)`,
    );
  }
  const meta = (suffix: string) => ({ name: suffix, namespace: args.namespace, labels: args.labels });
  const secretFiles = billingSecretFiles(args.admins, args.smtp, args.accountGoogleClientId);
  const mounted = new Set<string>(Object.values(secretFiles));

  const secretClass = new k8s.apiextensions.CustomResource(
    childName(name, "billing-secrets"),
    {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: meta("billing-secrets"),
      spec: {
        provider: "gke",
        parameters: {
          // Only the secrets billing reads: a secret without a version would keep the volume from mounting.
          secrets: pulumi
            .output(args.secretNames)
            .apply((names) =>
              secretProviderEntries(
                Object.fromEntries(Object.entries(names).filter(([id]) => mounted.has(id))),
              ),
            ),
        },
      },
    },
    opts,
  );
  const migrationSecretClass = new k8s.apiextensions.CustomResource(
    childName(name, "billing-migration-secrets"),
    {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: meta("billing-migration-secrets"),
      spec: {
        provider: "gke",
        parameters: {
          secrets: pulumi
            .output(args.secretNames)
            .apply((names) =>
              secretProviderEntries(Object.fromEntries(MIGRATION_SECRET_FILES.map((id) => [id, names[id]]))),
            ),
        },
      },
    },
    opts,
  );
  const databaseCa = new k8s.core.v1.ConfigMap(
    childName(name, "billing-cloudsql-ca"),
    { metadata: meta("billing-cloudsql-ca"), data: { "server-ca.pem": args.databaseServerCa } },
    opts,
  );

  const env = [
    { name: "PORT", value: String(BILLING_PORT) },
    {
      name: "DATABASE_URL",
      value: pulumi
        .output(args.databaseHost)
        .apply((h) => databaseUrl(h, args.databaseName, args.databaseUser)),
    },
    ...Object.entries(secretFiles).map(([variable, file]) => ({
      name: variable,
      value: `${SECRETS_MOUNT_PATH}/${file}`,
    })),
    ...Object.entries(args.stripePriceIds).map(([product, priceId]) => ({
      name: `STRIPE_PRICE_${product.toUpperCase()}`,
      value: priceId,
    })),
    { name: "PUBLIC_BASE_URL", value: billingUrl(args.host) },
    // Workstation containers present Google identity tokens whose audience is CODITECT_LICENSE_SERVER
    // (images/workstation/entrypoint.sh), which the WorkstationConfig sets to this same URL.
    { name: "WORKSTATION_IDENTITY_AUDIENCE", value: billingUrl(args.host) },
    { name: "WORKSTATION_IDENTITY_SERVICE_ACCOUNTS", value: args.workstationServiceAccountEmail },
    // The init container migrated as the migration user; billing's own login cannot (ADR 0166).
    { name: "DATABASE_MIGRATIONS", value: "verify" },
    ...adminEnv(args.admins),
    ...smtpEnv(args.smtp),
    { name: "LOG_LEVEL", value: "info" },
    // Cloud Logging groups a request's lines under its trace only with the project id (lib/logger.ts).
    { name: "GOOGLE_CLOUD_PROJECT", value: args.project },
    // Several replicas (the autoscaler): rate limits counted in the table they share (ADR 0160).
    { name: "RATE_LIMIT_STORE", value: "postgres" },
    ...registryEnv(args.registry),
    ...accountGoogleEnv(args.accountGoogleClientId),
  ];
  const deployment = new k8s.apps.v1.Deployment(
    childName(name, "billing"),
    {
      metadata: meta("billing"),
      spec: {
        // No `replicas`: the HPA owns the count (a fixed value would fight it on every update).
        selector: { matchLabels: args.labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
        template: {
          metadata: { labels: args.labels },
          spec: {
            serviceAccountName: args.serviceAccountName,
            automountServiceAccountToken: true,
            securityContext: restrictedPodSecurityContext(),
            nodeSelector: { "iam.gke.io/gke-metadata-server-enabled": "true" },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: args.labels },
              },
            ],
            // The migration step (ADR 0166): the same image as the migration user, which owns the schema;
            // it also creates or updates billing's runtime login. Its secrets are mounted here only.
            initContainers: [
              {
                name: "migrate",
                image: args.image,
                imagePullPolicy: "IfNotPresent",
                args: [
                  "billing.mjs",
                  "--migrate-only",
                  "--runtime-user",
                  args.databaseUser,
                  "--runtime-password-file",
                  `${MIGRATION_SECRETS_MOUNT_PATH}/billing-database-password`,
                ],
                env: [
                  {
                    name: "DATABASE_URL",
                    value: pulumi
                      .output(args.databaseHost)
                      .apply((h) => databaseUrl(h, args.databaseName, args.migrationUser)),
                  },
                  {
                    name: "DATABASE_PASSWORD_FILE",
                    value: `${MIGRATION_SECRETS_MOUNT_PATH}/billing-migration-database-password`,
                  },
                ],
                resources: containerResources({ request: "100m", limit: "500m" }, "256Mi"),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  TMP_MOUNT,
                  { name: "migration-secrets", mountPath: MIGRATION_SECRETS_MOUNT_PATH, readOnly: true },
                  { name: "cloudsql-ca", mountPath: DATABASE_CA_MOUNT_PATH, readOnly: true },
                ],
              },
            ],
            containers: [
              {
                name: "billing",
                image: args.image,
                imagePullPolicy: "IfNotPresent",
                env,
                ports: [{ name: "http", containerPort: BILLING_PORT }],
                livenessProbe: { httpGet: { path: "/healthz", port: BILLING_PORT }, periodSeconds: 20 },
                readinessProbe: { httpGet: { path: "/readyz", port: BILLING_PORT }, periodSeconds: 10 },
                resources: containerResources({ request: "250m", limit: "1" }, "512Mi"),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  TMP_MOUNT,
                  { name: "secrets", mountPath: SECRETS_MOUNT_PATH, readOnly: true },
                  { name: "cloudsql-ca", mountPath: DATABASE_CA_MOUNT_PATH, readOnly: true },
                ],
              },
            ],
            volumes: [
              TMP_VOLUME,
              {
                name: "secrets",
                csi: {
                  driver: "secrets-store-gke.csi.k8s.io",
                  readOnly: true,
                  volumeAttributes: { secretProviderClass: secretClass.metadata.name },
                },
              },
              { name: "cloudsql-ca", configMap: { name: databaseCa.metadata.name } },
              {
                name: "migration-secrets",
                csi: {
                  driver: "secrets-store-gke.csi.k8s.io",
                  readOnly: true,
                  volumeAttributes: { secretProviderClass: migrationSecretClass.metadata.name },
                },
              },
            ],
          },
        },
      },
    },
    opts,
  );

  const service = new k8s.core.v1.Service(
    childName(name, "billing-service"),
    {
      metadata: { ...meta("billing"), annotations: { "cloud.google.com/neg": '{"ingress": true}' } },
      spec: {
        type: "ClusterIP",
        selector: args.labels,
        ports: [{ name: "http", port: 80, targetPort: BILLING_PORT, protocol: "TCP" }],
      },
    },
    opts,
  );
  const autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
    childName(name, "billing-hpa"),
    {
      metadata: meta("billing"),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
        minReplicas: args.minReplicas,
        maxReplicas: args.maxReplicas,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
          },
        ],
      },
    },
    opts,
  );
  const disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
    childName(name, "billing-pdb"),
    { metadata: meta("billing"), spec: { minAvailable: 1, selector: { matchLabels: args.labels } } },
    opts,
  );

  const address = new gcp.compute.GlobalAddress(
    childName(name, "billing-ip"),
    {
      project: args.project,
      name: gcpResourceId([name, "billing"]),
      addressType: "EXTERNAL",
      ipVersion: "IPV4",
    },
    opts,
  );
  const certificate = new k8s.apiextensions.CustomResource(
    childName(name, "billing-certificate"),
    {
      apiVersion: "networking.gke.io/v1",
      kind: "ManagedCertificate",
      metadata: meta("billing"),
      spec: { domains: [args.host] },
    },
    opts,
  );
  const ingress = new k8s.networking.v1.Ingress(
    childName(name, "billing-ingress"),
    {
      metadata: {
        ...meta("billing"),
        annotations: {
          "kubernetes.io/ingress.class": "gce",
          "kubernetes.io/ingress.global-static-ip-name": address.name,
          "networking.gke.io/managed-certificates": certificate.metadata.name,
          "kubernetes.io/ingress.allow-http": "false",
        },
      },
      spec: {
        rules: [
          {
            host: args.host,
            http: {
              // Not `/`: the admin API and /metrics stay inside the cluster (issue 11 §3); paths
              // matching no rule get GKE's default backend (404).
              paths: ingressPaths(service.metadata.name),
            },
          },
        ],
      },
    },
    opts,
  );
  return { deployment, service, autoscaler, disruptionBudget, ingress, address, url: billingUrl(args.host) };
}
