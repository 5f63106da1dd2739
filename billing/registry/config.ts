/**
 * REGISTRY_* configuration (issue 15, ADR 0201): which credential billing mints for `POST/GET
 * /v1/registry/token`. Unset REGISTRY_CREDENTIALS = the endpoint answers 404 registry_not_configured.
 */
import { z } from "zod";

const seconds = (min: number, max: number) =>
  z.coerce
    .number({ message: `must be whole seconds from ${min} to ${max}` })
    .int(`must be whole seconds from ${min} to ${max}`)
    .min(min, `must be whole seconds from ${min} to ${max}`)
    .max(max, `must be whole seconds from ${min} to ${max}`);

const host = z
  .string()
  .regex(/^[a-z0-9.-]+(:\d+)?$/, "must be a registry host such as us-central1-docker.pkg.dev");

/** Spread into billing's envSchema (billing/config.ts). */
export const REGISTRY_ENV_SCHEMA = {
  REGISTRY_CREDENTIALS: z
    .enum(["docker-token", "google-access-token"], { message: "must be docker-token or google-access-token" })
    .optional(),
  REGISTRY_HOST: host.optional(),
  /** Path before the tier namespaces: Artifact Registry's `<project>/`; empty for the sandbox registry. */
  REGISTRY_REPOSITORY_PREFIX: z
    .string()
    .regex(/^([a-z0-9-]+\/)*$/, "must be empty or path segments ending in /, e.g. coditect-citus-prod/")
    .default(""),
  REGISTRY_TOKEN_ISSUER: z.string().min(1).max(200).optional(),
  REGISTRY_TOKEN_SERVICE: z.string().min(1).max(200).optional(),
  REGISTRY_TOKEN_KEY_FILE: z.string().min(1).optional(),
  REGISTRY_TOKEN_CERTS_FILE: z.string().min(1).optional(),
  REGISTRY_TOKEN_LIFETIME_SECONDS: seconds(1, 300).default(300),
  /** `pro=<sa email>,enterprise=<sa email>`: the tiers' pull identities (ADR 0023). */
  REGISTRY_PULL_SERVICE_ACCOUNTS: z
    .string()
    .regex(
      /^\s*(pro|enterprise)=[^\s,=@]+@[^\s,=]+(\s*,\s*(pro|enterprise)=[^\s,=@]+@[^\s,=]+)*\s*$/,
      "must be pro=<email>,enterprise=<email>",
    )
    .optional(),
  REGISTRY_ACCESS_TOKEN_LIFETIME_SECONDS: seconds(300, 3600).default(3600),
  /** host:port of a local IAM Credentials API (tests and the sandbox; plaintext gRPC). Unset = Google's. */
  IAM_CREDENTIALS_API_ENDPOINT: host.optional(),
};

const registryEnv = z.object(REGISTRY_ENV_SCHEMA);
type RegistryEnv = z.infer<typeof registryEnv>;

export type RegistryConfig =
  | {
      kind: "docker-token";
      registry: string;
      repositoryPrefix: string;
      issuer: string;
      service: string;
      keyFile: string;
      certsFile: string;
      lifetimeSeconds: number;
    }
  | {
      kind: "google-access-token";
      registry: string;
      repositoryPrefix: string;
      serviceAccounts: { pro: string; enterprise: string };
      lifetimeSeconds: number;
      iamCredentialsEndpoint: string | undefined;
    };

/** Returns the config, undefined when off, or an error message naming the missing variables. */
export function registryConfig(e: RegistryEnv): RegistryConfig | undefined | { error: string } {
  if (!e.REGISTRY_CREDENTIALS) return undefined;
  const need = (names: (keyof RegistryEnv)[]) => {
    const missing = names.filter((n) => e[n] === undefined);
    return missing.length
      ? { error: `${missing.join(", ")} required with REGISTRY_CREDENTIALS=${e.REGISTRY_CREDENTIALS}` }
      : null;
  };
  if (e.REGISTRY_CREDENTIALS === "docker-token") {
    const missing = need([
      "REGISTRY_HOST",
      "REGISTRY_TOKEN_ISSUER",
      "REGISTRY_TOKEN_SERVICE",
      "REGISTRY_TOKEN_KEY_FILE",
      "REGISTRY_TOKEN_CERTS_FILE",
    ]);
    if (missing) return missing;
    return {
      kind: "docker-token",
      registry: e.REGISTRY_HOST!,
      repositoryPrefix: e.REGISTRY_REPOSITORY_PREFIX,
      issuer: e.REGISTRY_TOKEN_ISSUER!,
      service: e.REGISTRY_TOKEN_SERVICE!,
      keyFile: e.REGISTRY_TOKEN_KEY_FILE!,
      certsFile: e.REGISTRY_TOKEN_CERTS_FILE!,
      lifetimeSeconds: e.REGISTRY_TOKEN_LIFETIME_SECONDS,
    };
  }
  const missing = need(["REGISTRY_HOST", "REGISTRY_PULL_SERVICE_ACCOUNTS"]);
  if (missing) return missing;
  const accounts = Object.fromEntries(
    e.REGISTRY_PULL_SERVICE_ACCOUNTS!.split(",").map((pair) => pair.trim().split("=") as [string, string]),
  );
  if (!accounts.pro || !accounts.enterprise) {
    return { error: "REGISTRY_PULL_SERVICE_ACCOUNTS must name both pro= and enterprise=" };
  }
  return {
    kind: "google-access-token",
    registry: e.REGISTRY_HOST!,
    repositoryPrefix: e.REGISTRY_REPOSITORY_PREFIX,
    serviceAccounts: { pro: accounts.pro, enterprise: accounts.enterprise },
    lifetimeSeconds: e.REGISTRY_ACCESS_TOKEN_LIFETIME_SECONDS,
    iamCredentialsEndpoint: e.IAM_CREDENTIALS_API_ENDPOINT,
  };
}
