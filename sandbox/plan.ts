/**
 * What the sandbox runs: one child process spec per component (script, arguments, environment, health
 * check), derived purely from the resolved ports, the data directory and the sandbox secrets. Each part is
 * the project's own entry point, wired to the others only through URLs, so the processes talk over HTTP,
 * gRPC and the Kubernetes API exactly as they do in production.
 */
import { join } from "node:path";
import { fakeStripePriceEnv } from "../test-support/fake-stripe/index.js";
import type { RegistryConfigOptions } from "../test-support/registry/config.js";
import type { Component } from "./options.js";
import { registryTokenPaths, SANDBOX_REGISTRY_TOKEN } from "./registry-token.js";
import type { SandboxSecrets } from "./secrets.js";

/** The seeded fake workstation cluster; the operator is configured with the same names. */
export const SANDBOX_FLEET = {
  project: "coditect-local",
  location: "us-central1",
  cluster: "coditect-ws-cluster",
  tierConfigs: { standard: "standard", power: "power", ai: "ai" },
} as const;

export const SANDBOX_STRIPE_SECRET_KEY = "sk_test_sandbox";

/** The fake KMS's one signing key version: the prod key's name, in the sandbox's project. */
export const SANDBOX_SIGNING_KEY_VERSION =
  "projects/coditect-local/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key/cryptoKeyVersions/1";

/**
 * The licensed Docker image as `npm run images:build -- docker --stack test` leaves it, and where the sandbox
 * pushes it: under `coditect-images/`, the namespace the Pro tier (and Enterprise) may pull
 * (billing/registry/tiers.ts), so a Pro license key pulls it from the sandbox registry.
 */
export const SANDBOX_LICENSED_IMAGE = {
  local: "localhost/coditect/docker:dev",
  repository: "coditect-images/docker",
  tag: "dev",
  buildCommand: "npm run images:build -- docker --stack test",
} as const;

/**
 * An HTTP(S) GET answering 2xx or one of `acceptStatus` (`caFile`: verify HTTPS against that CA), or a
 * TCP connect.
 */
export type HealthCheck =
  | { kind: "http"; url: string; caFile?: string; acceptStatus?: number[] }
  | { kind: "tcp"; port: number };

export interface ChildSpec {
  name: Component;
  /** Script path relative to the repository root, run with Node + tsx. */
  script: string;
  args: string[];
  /** Variables set for this child on top of the inherited environment. */
  env: Record<string, string>;
  health: HealthCheck;
  /** Components that must be healthy before this one starts. */
  after: Component[];
}

export interface SandboxLayout {
  root: string;
  dataDir: string;
  ports: Record<Component, number>;
  secrets: SandboxSecrets;
  /** Run the registry and the fake KMS (false when /usr/bin/docker-registry is missing). */
  supplyChain?: boolean;
}

/** Paths inside the data directory. */
export function dataPaths(dataDir: string) {
  return {
    kubeconfig: join(dataDir, "kubeconfig"),
    /** TLS material, the kube child's admin kubeconfig and the services' kubeconfigs (kube-access.ts). */
    kube: join(dataDir, "kube"),
    pglite: join(dataDir, "pglite"),
    logs: join(dataDir, "logs"),
    state: join(dataDir, "sandbox.json"),
    /** The registry's config.yml and its storage (blobs, manifests, signatures) under data/. */
    registry: join(dataDir, "registry"),
    registryConfig: join(dataDir, "registry", "config.yml"),
    /** The fake KMS's private key, kept so signatures stay valid across restarts (sandbox only). */
    kmsPrivateKey: join(dataDir, "kms", "signing-key.private.pem"),
    /** The signing key's public half (PEM): what `npm run images:verify -- … --key` pins. */
    signingKey: join(dataDir, "signing-key.pem"),
    /** The mail catcher's inbox (maildev's mail directory), kept across restarts. */
    mail: join(dataDir, "mail"),
  };
}

/** The sender address of the sandbox's notifications (billing's SMTP_FROM). */
export const SANDBOX_MAIL_FROM = "no-reply@coditect.test";

/** Billing's SMTP_* variables: deliver to the mail catcher (no credentials, loopback, no TLS). */
export function billingMailEnv(layout: Pick<SandboxLayout, "ports">): Record<string, string> {
  return { SMTP_HOST: "127.0.0.1", SMTP_PORT: String(layout.ports.smtp), SMTP_FROM: SANDBOX_MAIL_FROM };
}

/**
 * The sandbox registry's configuration (written as config.yml by sandbox/main.ts through
 * test-support/registry/config.ts): Docker token authentication with billing as the realm (issue 15), so
 * every pull needs a token billing minted for an entitled license (or the sandbox publisher's own).
 */
export function registryConfig(layout: Pick<SandboxLayout, "dataDir" | "ports">): RegistryConfigOptions {
  return {
    addr: `127.0.0.1:${layout.ports.registry}`,
    rootDirectory: join(dataPaths(layout.dataDir).registry, "data"),
    tokenAuth: {
      realm: `${urlOf(layout.ports.billing)}/v1/registry/token`,
      service: SANDBOX_REGISTRY_TOKEN.service,
      issuer: SANDBOX_REGISTRY_TOKEN.issuer,
      rootCertBundleFile: registryTokenPaths(layout.dataDir).ca,
    },
  };
}

/** Billing's REGISTRY_* variables for the sandbox registry (docker-token credentials, ADR 0201). */
export function billingRegistryEnv(layout: Pick<SandboxLayout, "dataDir" | "ports">): Record<string, string> {
  const token = registryTokenPaths(layout.dataDir);
  return {
    REGISTRY_CREDENTIALS: "docker-token",
    REGISTRY_HOST: `127.0.0.1:${layout.ports.registry}`,
    REGISTRY_TOKEN_ISSUER: SANDBOX_REGISTRY_TOKEN.issuer,
    REGISTRY_TOKEN_SERVICE: SANDBOX_REGISTRY_TOKEN.service,
    REGISTRY_TOKEN_KEY_FILE: token.key,
    REGISTRY_TOKEN_CERTS_FILE: token.certs,
    REGISTRY_TOKEN_LIFETIME_SECONDS: String(SANDBOX_REGISTRY_TOKEN.lifetimeSeconds),
  };
}

/** Files under `<data>/kube/` (written by kube-access.ts and the kube child). */
export function kubePaths(kubeDir: string) {
  return {
    dir: kubeDir,
    ca: join(kubeDir, "ca.crt"),
    cert: join(kubeDir, "tls.crt"),
    key: join(kubeDir, "tls.key"),
    /** Written by the kube child (kube:serve --kubeconfig): the CA and the server's admin token. */
    adminKubeconfig: join(kubeDir, "admin.kubeconfig"),
    serviceKubeconfig: (service: "billing" | "operator") => join(kubeDir, `${service}.kubeconfig`),
  };
}

export const urlOf = (port: number) => `http://127.0.0.1:${port}`;
/** The API test server runs with TLS in the sandbox, like a cluster's. */
export const kubeUrlOf = (port: number) => `https://127.0.0.1:${port}`;

/**
 * Tuning variables a caller may set in the environment of `npm start` (the journey test shortens them);
 * the sandbox's own defaults apply only when they are unset.
 */
export const TUNABLE_DEFAULTS: Record<string, string> = {
  // A quicker safety sweep than production's 5 minutes: licenses re-projected soon after a restart.
  RESYNC_INTERVAL_SECONDS: "30",
  OPERATOR_OPERATION_POLL_MS: "500",
  OPERATOR_OBSERVE_INTERVAL_MS: "15000",
  OPERATOR_RELIST_MS: "60000",
  SANDBOX_WORKSTATION_POLLS: "2",
  // Agents heartbeat every 15 s instead of 5 min, so a revocation ends a session within the walkthrough.
  SESSIONS_HEARTBEAT_INTERVAL_SECONDS: "15",
  LOG_LEVEL: "info",
};

function tunable(env: Record<string, string | undefined>, name: string): string {
  const value = env[name];
  return value !== undefined && value !== "" ? value : TUNABLE_DEFAULTS[name]!;
}

/** The child processes (six, or eight with the supply-chain stand-ins), in dependency order. */
export function planChildren(layout: SandboxLayout, env: Record<string, string | undefined>): ChildSpec[] {
  const supplyChain: ChildSpec[] = layout.supplyChain ? supplyChainChildren(layout) : [];
  return [...coreChildren(layout, env), ...supplyChain];
}

/** Debian's docker-registry (through a wrapper that stops it with the sandbox) and the fake Cloud KMS. */
function supplyChainChildren(layout: SandboxLayout): ChildSpec[] {
  const { ports } = layout;
  const paths = dataPaths(layout.dataDir);
  return [
    {
      name: "registry",
      script: "sandbox/registry-child.ts",
      args: ["--config", paths.registryConfig],
      env: {},
      // The API base answers 200, or 401 with a challenge once token auth is on: both mean "serving".
      health: { kind: "http", url: `${urlOf(ports.registry)}/v2/`, acceptStatus: [401] },
      after: [],
    },
    {
      name: "kms",
      script: "sandbox/kms-child.ts",
      args: [
        "--port",
        String(ports.kms),
        "--key-version",
        SANDBOX_SIGNING_KEY_VERSION,
        "--private-key",
        paths.kmsPrivateKey,
        "--public-key",
        paths.signingKey,
      ],
      env: {},
      health: { kind: "tcp", port: ports.kms },
      after: [],
    },
  ];
}

function coreChildren(layout: SandboxLayout, env: Record<string, string | undefined>): ChildSpec[] {
  const { ports, secrets } = layout;
  const paths = dataPaths(layout.dataDir);
  const billingUrl = urlOf(ports.billing);
  const logLevel = tunable(env, "LOG_LEVEL");
  const kube = kubePaths(paths.kube);
  return [
    {
      name: "kube",
      script: "test-support/kube-apiserver/cli.ts",
      // TLS with the sandbox's CA, tokens and RBAC on (the CLI's defaults). The child writes its admin
      // kubeconfig; the sandbox derives <data>/kubeconfig and the services' kubeconfigs from it.
      args: [
        "--port",
        String(ports.kube),
        "--crds",
        join(layout.root, "crds"),
        "--tls-cert",
        kube.cert,
        "--tls-key",
        kube.key,
        "--tls-ca",
        kube.ca,
        "--kubeconfig",
        kube.adminKubeconfig,
      ],
      env: {},
      // /readyz is readable without a token (kube's public-info-viewer), over TLS.
      health: { kind: "http", url: `${kubeUrlOf(ports.kube)}/readyz`, caFile: kube.ca },
      after: [],
    },
    {
      name: "stripe",
      script: "test-support/fake-stripe/cli.ts",
      args: [
        "--port",
        String(ports.stripe),
        "--webhook-url",
        `${billingUrl}/v1/webhooks/stripe`,
        "--webhook-secret",
        secrets.webhookSecret,
      ],
      env: {},
      health: { kind: "http", url: `${urlOf(ports.stripe)}/_fake/events` },
      after: [],
    },
    {
      name: "workstations",
      script: "test-support/fake-workstations/cli.ts",
      args: [
        "--port",
        String(ports.workstations),
        "--polls",
        tunable(env, "SANDBOX_WORKSTATION_POLLS"),
        "--project",
        SANDBOX_FLEET.project,
        "--location",
        SANDBOX_FLEET.location,
        "--cluster",
        SANDBOX_FLEET.cluster,
        "--configs",
        Object.values(SANDBOX_FLEET.tierConfigs).join(","),
      ],
      env: {},
      health: { kind: "tcp", port: ports.workstations },
      after: [],
    },
    {
      name: "mail",
      script: "sandbox/mail-child.ts",
      args: [
        "--smtp-port",
        String(ports.smtp),
        "--web-port",
        String(ports.mail),
        "--mail-directory",
        paths.mail,
      ],
      env: {},
      health: { kind: "http", url: `${urlOf(ports.mail)}/api/healthz` },
      after: [],
    },
    {
      name: "billing",
      script: "billing/server.ts",
      args: [],
      env: {
        PORT: String(ports.billing),
        PGLITE_DIR: paths.pglite,
        STRIPE_SECRET_KEY: SANDBOX_STRIPE_SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: secrets.webhookSecret,
        STRIPE_API_URL: urlOf(ports.stripe),
        ADMIN_TOKEN: secrets.adminToken,
        // Billing has no default price ids: the fake Stripe's seeded ones, given explicitly.
        ...fakeStripePriceEnv(),
        // Billing's own ServiceAccount under BILLING_CLUSTER_RULES, not the admin (sandbox/identities.ts).
        KUBECONFIG: kube.serviceKubeconfig("billing"),
        PUBLIC_BASE_URL: billingUrl,
        OFFLINE_TOKEN_KEYS_FILE: secrets.offlineTokenKeysFile,
        SESSIONS_HEARTBEAT_INTERVAL_SECONDS: tunable(env, "SESSIONS_HEARTBEAT_INTERVAL_SECONDS"),
        RESYNC_INTERVAL_SECONDS: tunable(env, "RESYNC_INTERVAL_SECONDS"),
        // The registry's token realm (issue 15): only with the registry running.
        ...(layout.supplyChain ? billingRegistryEnv(layout) : {}),
        // Notifications go to the mail catcher (issue 16 §3): open its web view to read them.
        ...billingMailEnv(layout),
        LOG_LEVEL: logLevel,
      },
      health: { kind: "http", url: `${billingUrl}/readyz` },
      // Billing's first resync (at start) re-projects every license into the (in-memory) API server; the
      // mail catcher first, so the sender's first pass finds it listening.
      after: ["kube", "stripe", "mail"],
    },
    {
      name: "operator",
      script: "operator/main.ts",
      args: [],
      env: {
        // The operator's own ServiceAccount under operator/deploy/rbac.yaml.
        KUBECONFIG: kube.serviceKubeconfig("operator"),
        WORKSTATIONS_PROJECT: SANDBOX_FLEET.project,
        WORKSTATIONS_REGION: SANDBOX_FLEET.location,
        WORKSTATIONS_CLUSTER: SANDBOX_FLEET.cluster,
        WORKSTATIONS_TIER_CONFIGS: Object.entries(SANDBOX_FLEET.tierConfigs)
          .map(([tier, config]) => `${tier}=${config}`)
          .join(","),
        WORKSTATIONS_ENDPOINT: `127.0.0.1:${ports.workstations}`,
        WORKSTATIONS_INSECURE: "true",
        METADATA_SERVER_DETECTION: "none",
        // One replica: no lease to wait for.
        OPERATOR_LEADER_ELECTION: "false",
        OPERATOR_PROBE_PORT: String(ports.operator),
        OPERATOR_OPERATION_POLL_MS: tunable(env, "OPERATOR_OPERATION_POLL_MS"),
        OPERATOR_OBSERVE_INTERVAL_MS: tunable(env, "OPERATOR_OBSERVE_INTERVAL_MS"),
        OPERATOR_RELIST_MS: tunable(env, "OPERATOR_RELIST_MS"),
        LOG_LEVEL: logLevel,
      },
      health: { kind: "http", url: `${urlOf(ports.operator)}/readyz` },
      after: ["kube", "workstations"],
    },
  ];
}

/** Variables removed from the inherited environment so the sandbox always runs on its embedded defaults. */
export const STRIPPED_VARIABLES = ["DATABASE_URL", "OFFLINE_TOKEN_KEYS", "KUBECONFIG"] as const;
