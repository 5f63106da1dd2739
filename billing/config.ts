/**
 * Billing configuration, read from the environment once at start and validated with zod.
 * A bad or missing value stops the service with a message naming the variable and what is expected.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { LICENSE_TIER_NAMES, WORKSTATION_TIER_NAMES } from "../lib/domain.js";
import { type AdminAuthConfig, adminAuthFromEnv } from "./admin/auth-config.js";
import type { KubeCredentialSettings } from "./cluster/credentials.js";
import { describeZodError } from "./http/errors.js";
import { REGISTRY_ENV_SCHEMA, type RegistryConfig, registryConfig } from "./registry/config.js";
import { GOOGLE_JWKS_URL, type IdentityConfig } from "./sessions/identity.js";
import { RATE_LIMIT_STORES, type RateLimitStoreKind } from "./sessions/rate-limit.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Products sold through checkout: the license tiers and the workstation tiers. */
export const PRODUCT_NAMES = [...LICENSE_TIER_NAMES, ...WORKSTATION_TIER_NAMES] as const;
export type ProductName = (typeof PRODUCT_NAMES)[number];

function priceVar(product: string): string {
  return `STRIPE_PRICE_${product.toUpperCase()}`;
}

/** STRIPE_PRICE_<PRODUCT>: no defaults — a made-up price id would only fail at the first checkout. */
export const PRICE_VARIABLES: readonly string[] = PRODUCT_NAMES.map(priceVar);

const optionalUrl = z.url({ message: "must be an absolute URL such as http://127.0.0.1:12111" }).optional();

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// connection string")
    .optional(),
  PGLITE_DIR: z.string().min(1).default(".data/pglite"),
  // apply: migrate at start (npm start, one role); verify: refuse to start on a schema older than the code,
  // for a runtime role that cannot migrate (a migration role migrates beforehand; ADR 0166).
  DATABASE_MIGRATIONS: z.enum(["apply", "verify"], { message: "must be apply or verify" }).default("apply"),
  STRIPE_SECRET_KEY: z
    .string({ message: "is required (a Stripe secret key, sk_test_… or sk_live_…)" })
    .regex(/^(sk|rk)_(test|live)_\S+$/, "must look like sk_test_… or sk_live_…"),
  STRIPE_WEBHOOK_SECRET: z
    .string({ message: "is required (the webhook signing secret, whsec_…)" })
    .regex(/^whsec_\S+$/, "must look like whsec_…"),
  STRIPE_API_URL: optionalUrl,
  // A hung Stripe must not hold a customer's request for the SDK's 80 s (ADR 0122).
  STRIPE_TIMEOUT_SECONDS: z.coerce
    .number({ message: "must be whole seconds from 1 to 60" })
    .int("must be whole seconds from 1 to 60")
    .min(1, "must be whole seconds from 1 to 60")
    .max(60, "must be whole seconds from 1 to 60")
    .default(5),
  STRIPE_MAX_NETWORK_RETRIES: z.coerce
    .number({ message: "must be a whole number from 0 to 5" })
    .int("must be a whole number from 0 to 5")
    .min(0, "must be a whole number from 0 to 5")
    .max(5, "must be a whole number from 0 to 5")
    .default(1),
  // Break-glass only (ADR 0165): admins authenticate as themselves with ADMIN_EMAILS below.
  ADMIN_TOKEN: z
    .string()
    .min(32, "must be at least 32 characters (generate one with `openssl rand -hex 32`)")
    .optional(),
  ADMIN_BREAK_GLASS: z.enum(["true", "false"], { message: "must be true or false" }).optional(),
  ADMIN_EMAILS: z
    .string()
    .regex(/^\s*[^\s,@]+@[^\s,@]+(\s*,\s*[^\s,@]+@[^\s,@]+)*\s*$/, "must be a comma-separated list of emails")
    .optional(),
  ADMIN_ID_TOKEN_AUDIENCES: z
    .string()
    .regex(/^\s*[^\s,]+(\s*,\s*[^\s,]+)*\s*$/, "must be a comma-separated list of audiences")
    .optional(),
  ADMIN_IAP_AUDIENCE: z
    .string()
    .regex(
      /^\/projects\/\d+\/(global|locations\/[a-z0-9-]+)\/backendServices\/[\w-]+$|^\/projects\/\d+\/apps\/[\w-]+$/,
      "must be IAP's audience, /projects/<number>/global/backendServices/<id>",
    )
    .optional(),
  ADMIN_GOOGLE_JWKS_URL: optionalUrl,
  ADMIN_IAP_JWKS_URL: optionalUrl,
  KUBECONFIG: z.string().min(1).optional(),
  // Set by the kubelet in every pod (not by our Deployment): billing then uses its service account (C5).
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  KUBERNETES_SERVICE_PORT: z.string().regex(/^\d+$/, "must be a port number").optional(),
  WORKSTATION_IDENTITY_AUDIENCE: optionalUrl,
  WORKSTATION_IDENTITY_SERVICE_ACCOUNTS: z
    .string()
    .regex(
      /^\s*[^\s,@]+@[^\s,@]+(\s*,\s*[^\s,@]+@[^\s,@]+)*\s*$/,
      "must be a comma-separated list of service-account emails",
    )
    .optional(),
  WORKSTATION_IDENTITY_JWKS_URL: optionalUrl,
  SESSIONS_HEARTBEAT_INTERVAL_SECONDS: z.coerce
    .number({ message: "must be whole seconds from 1 to 3600" })
    .int("must be whole seconds from 1 to 3600")
    .min(1, "must be whole seconds from 1 to 3600")
    .max(3600, "must be whole seconds from 1 to 3600")
    .optional(),
  /** Concurrent sessions one unlimited (Enterprise) license may hold (issue 13, ADR 0142). */
  UNLIMITED_LICENSE_SESSION_CEILING: z.coerce
    .number({ message: "must be a whole number from 1 to 100000" })
    .int("must be a whole number from 1 to 100000")
    .min(1, "must be a whole number from 1 to 100000")
    .max(100_000, "must be a whole number from 1 to 100000")
    .default(1000),
  /** Where rate-limit counts live (ADR 0160); unset = postgres with DATABASE_URL, memory with PGlite. */
  RATE_LIMIT_STORE: z.enum(RATE_LIMIT_STORES, { message: "must be postgres or memory" }).optional(),
  /** Absolute lifetime of a session token (ADR 0161): older tokens get 401 session_token_expired. */
  SESSION_TOKEN_LIFETIME_HOURS: z.coerce
    .number({ message: "must be whole hours from 1 to 720" })
    .int("must be whole hours from 1 to 720")
    .min(1, "must be whole hours from 1 to 720")
    .max(720, "must be whole hours from 1 to 720")
    .default(24),
  OFFLINE_TOKEN_KEYS: z.string().min(1).optional(),
  OFFLINE_TOKEN_KEYS_FILE: z.string().min(1).optional(),
  PUBLIC_BASE_URL: optionalUrl,
  // Notifications (billing/notifications, ADR 0210): unset SMTP_HOST → messages stay queued in the outbox.
  SMTP_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:.]+\]$/, "must be a host name or IP address")
    .optional(),
  SMTP_PORT: z.coerce
    .number({ message: "must be a port from 1 to 65535" })
    .int("must be a port from 1 to 65535")
    .min(1, "must be a port from 1 to 65535")
    .max(65535, "must be a port from 1 to 65535")
    .default(587),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  SMTP_FROM: z.email({ message: "must be an email address such as no-reply@example.com" }).optional(),
  PAYMENT_GRACE_DAYS: z.coerce.number().int().min(0).max(60).default(7),
  RESYNC_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Cloud Logging trace links need the project id (docs/observability.md); unset → bare trace ids.
  GOOGLE_CLOUD_PROJECT: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a Google Cloud project id")
    .optional(),
  // Registry pull credentials (issue 15): billing/registry/config.ts.
  ...REGISTRY_ENV_SCHEMA,
  // Customer sign-in with Google (issue 16, billing/accounts/auth, ADR 0220): the OAuth client id is the ID
  // token's audience; unset → POST /v1/account/sign-in/google answers 404 google_sign_in_not_configured.
  ACCOUNT_GOOGLE_CLIENT_ID: z
    .string()
    .regex(/^[\w.-]{1,200}$/, "must be an OAuth client id such as 1234-abc.apps.googleusercontent.com")
    .optional(),
  ACCOUNT_GOOGLE_JWKS_URL: optionalUrl,
  // The script-free "Sign in with Google" on the pages (OIDC code flow, ADR 0286): the OAuth client's secret
  // (production mounts it: ACCOUNT_GOOGLE_CLIENT_SECRET_FILE) and, for tests and the sandbox only, where
  // Google's authorization and token endpoints are.
  ACCOUNT_GOOGLE_CLIENT_SECRET: z.string().min(1).max(500, "must be at most 500 characters").optional(),
  ACCOUNT_GOOGLE_AUTHORIZATION_URL: optionalUrl,
  ACCOUNT_GOOGLE_TOKEN_URL: optionalUrl,
  ...Object.fromEntries(
    PRODUCT_NAMES.map((p) => [
      priceVar(p),
      z
        .string({ message: "is required (the Stripe price id of this product, price_…)" })
        .regex(/^price_\w+$/, "must look like price_…"),
    ]),
  ),
});

export interface BillingConfig {
  port: number;
  /** Unset → embedded PGlite under pgliteDir. */
  databaseUrl: string | undefined;
  pgliteDir: string;
  /** `apply` migrations at start, or only `verify` that none is pending (DATABASE_MIGRATIONS). */
  databaseMigrations: "apply" | "verify";
  stripeSecretKey: string;
  stripeWebhookSecret: string;
  /** Where the Stripe SDK sends API calls (a local fake in tests and the sandbox); unset → api.stripe.com. */
  stripeApiUrl: string | undefined;
  /** Per attempt; with retries a Stripe call takes at most about (retries + 1) × timeout. */
  stripeTimeoutMs: number;
  stripeMaxNetworkRetries: number;
  /** Admin authentication: Google identities on an allow-list, break-glass token (admin/auth-config.ts). */
  admin: AdminAuthConfig;
  kubeconfig: string | undefined;
  /** KUBECONFIG → in-cluster service account → none; decided by cluster/credentials.ts. */
  kubernetes: KubeCredentialSettings;
  /** Workstation identity tokens are accepted only when both variables are set (sessions/identity.ts). */
  workstationIdentity: IdentityConfig | undefined;
  /** SESSIONS_HEARTBEAT_INTERVAL_SECONDS (the sandbox shortens it); unset = the sessions default. */
  sessionsHeartbeatIntervalMs: number | undefined;
  /** UNLIMITED_LICENSE_SESSION_CEILING: the seat limit of a license without max_containers. */
  unlimitedLicenseSessionCeiling: number;
  /** RATE_LIMIT_STORE: postgres (shared by all replicas) or memory (per replica). */
  rateLimitStore: RateLimitStoreKind;
  /** SESSION_TOKEN_LIFETIME_HOURS: a session token is refused this long after validate issued it. */
  sessionTokenLifetimeMs: number;
  /** Offline-token signing keys (lib/offline-tokens reads them; declared here with every other variable). */
  offlineTokenKeys: { OFFLINE_TOKEN_KEYS?: string; OFFLINE_TOKEN_KEYS_FILE?: string };
  /** Base of the success/cancel URLs handed to Stripe Checkout (and of the links in emails). */
  publicBaseUrl: string;
  /** SMTP relay of the notification sender; undefined → nothing is sent (the outbox keeps the messages). */
  smtp: SmtpConfig | undefined;
  /** How long a past-due license keeps entitling before it is suspended. */
  paymentGraceMs: number;
  resyncIntervalMs: number;
  logLevel: string;
  /** GOOGLE_CLOUD_PROJECT: the project Cloud Logging trace ids belong to. */
  gcpProject?: string | undefined;
  /** Stripe price id per product. */
  priceIds: Record<ProductName, string>;
  /** REGISTRY_*: registry pull credentials (billing/registry/config.ts); undefined = off. */
  registry?: RegistryConfig | undefined;
  /** ACCOUNT_GOOGLE_*: customers' Google sign-in; undefined = off (billing/accounts/auth). */
  accountGoogle?: AccountGoogleConfig | undefined;
}

export const GOOGLE_AUTHORIZATION_URL = "https://accounts.google.com/o/oauth2/v2/auth";
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

export interface AccountGoogleConfig {
  /** The OAuth web client: the audience of the ID tokens billing accepts. */
  clientId: string;
  jwks: string;
  /** The pages' code flow (ADR 0286); present only with the client secret, else the page shows no button. */
  codeFlow?: { clientSecret: string; authorizationUrl: string; tokenUrl: string } | undefined;
}

export interface SmtpConfig {
  host: string;
  /** 465 = TLS from the start; other ports upgrade with STARTTLS when the server offers it. */
  port: number;
  auth: { user: string; pass: string } | undefined;
  from: string;
}

/** Thrown when the environment is invalid; the message lists every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Secrets that may be delivered as files (`<VAR>_FILE`), as the Secret Manager volume does on GKE (ADR 0025). */
const FILE_SECRETS = [
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "ADMIN_TOKEN",
  "SMTP_PASSWORD",
  "ACCOUNT_GOOGLE_CLIENT_SECRET",
] as const;

function readSecretFile(variable: string, path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new ConfigError(
      `invalid billing configuration: ${variable}=${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

/**
 * Replaces `<VAR>_FILE` by the file's content for the secret variables, and puts the password from
 * DATABASE_PASSWORD_FILE into DATABASE_URL, so secret values never have to be in the pod spec.
 */
export function resolveSecretFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const resolved = { ...env };
  for (const variable of FILE_SECRETS) {
    const path = env[`${variable}_FILE`];
    if (!path) continue;
    if (env[variable]) {
      throw new ConfigError(
        `invalid billing configuration: set only one of ${variable} and ${variable}_FILE`,
      );
    }
    resolved[variable] = readSecretFile(`${variable}_FILE`, path);
  }
  const passwordPath = env.DATABASE_PASSWORD_FILE;
  if (passwordPath) {
    let url: URL;
    try {
      url = new URL(env.DATABASE_URL ?? "");
    } catch {
      throw new ConfigError(
        "invalid billing configuration: DATABASE_PASSWORD_FILE needs DATABASE_URL set to a postgres:// URL without a password",
      );
    }
    if (url.password) {
      throw new ConfigError(
        "invalid billing configuration: DATABASE_URL already carries a password; remove it or unset DATABASE_PASSWORD_FILE",
      );
    }
    url.password = encodeURIComponent(readSecretFile("DATABASE_PASSWORD_FILE", passwordPath));
    resolved.DATABASE_URL = url.toString();
  }
  return resolved;
}

/** Both identity variables or neither: one alone would silently refuse every workstation container. */
function workstationIdentity(e: {
  WORKSTATION_IDENTITY_AUDIENCE?: string | undefined;
  WORKSTATION_IDENTITY_SERVICE_ACCOUNTS?: string | undefined;
  WORKSTATION_IDENTITY_JWKS_URL?: string | undefined;
}): IdentityConfig | undefined {
  const audience = e.WORKSTATION_IDENTITY_AUDIENCE;
  const accounts = (e.WORKSTATION_IDENTITY_SERVICE_ACCOUNTS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!audience && accounts.length === 0) return undefined;
  if (!audience || accounts.length === 0) {
    throw new ConfigError(
      `invalid billing configuration: ${audience ? "WORKSTATION_IDENTITY_SERVICE_ACCOUNTS" : "WORKSTATION_IDENTITY_AUDIENCE"} is required when ${audience ? "WORKSTATION_IDENTITY_AUDIENCE" : "WORKSTATION_IDENTITY_SERVICE_ACCOUNTS"} is set (workstation identity needs both)`,
    );
  }
  return {
    audience,
    serviceAccounts: accounts,
    jwks: e.WORKSTATION_IDENTITY_JWKS_URL ?? GOOGLE_JWKS_URL,
  };
}

/**
 * Every environment variable billing reads, in one list: the rehearsal compares it with the rendered
 * Deployment's env (what the kubelet sets, KUBERNETES_SERVICE_*, is listed too).
 */
export const BILLING_ENV_VARIABLES: readonly string[] = [
  ...Object.keys(envSchema.shape),
  ...PRICE_VARIABLES,
  ...FILE_SECRETS.map((v) => `${v}_FILE`),
  "DATABASE_PASSWORD_FILE",
].filter((v, i, all) => all.indexOf(v) === i);

/** SMTP_USER and SMTP_PASSWORD come together; SMTP_FROM is required once SMTP_HOST is set. */
function smtpConfig(e: {
  SMTP_HOST?: string | undefined;
  SMTP_PORT: number;
  SMTP_USER?: string | undefined;
  SMTP_PASSWORD?: string | undefined;
  SMTP_FROM?: string | undefined;
}): SmtpConfig | undefined {
  if (!e.SMTP_HOST) return undefined;
  if (!e.SMTP_FROM) {
    throw new ConfigError("invalid billing configuration: SMTP_FROM is required when SMTP_HOST is set");
  }
  if (Boolean(e.SMTP_USER) !== Boolean(e.SMTP_PASSWORD)) {
    throw new ConfigError(
      "invalid billing configuration: set both SMTP_USER and SMTP_PASSWORD (or SMTP_PASSWORD_FILE), or neither",
    );
  }
  return {
    host: e.SMTP_HOST,
    port: e.SMTP_PORT,
    auth: e.SMTP_USER && e.SMTP_PASSWORD ? { user: e.SMTP_USER, pass: e.SMTP_PASSWORD } : undefined,
    from: e.SMTP_FROM,
  };
}

/** The client id alone serves the ID-token API; with the secret the pages get the code flow too. */
function accountGoogleConfig(e: {
  ACCOUNT_GOOGLE_CLIENT_ID?: string | undefined;
  ACCOUNT_GOOGLE_JWKS_URL?: string | undefined;
  ACCOUNT_GOOGLE_CLIENT_SECRET?: string | undefined;
  ACCOUNT_GOOGLE_AUTHORIZATION_URL?: string | undefined;
  ACCOUNT_GOOGLE_TOKEN_URL?: string | undefined;
}): AccountGoogleConfig | undefined {
  if (!e.ACCOUNT_GOOGLE_CLIENT_ID) {
    if (e.ACCOUNT_GOOGLE_CLIENT_SECRET) {
      throw new ConfigError(
        "invalid billing configuration: ACCOUNT_GOOGLE_CLIENT_ID is required when ACCOUNT_GOOGLE_CLIENT_SECRET (or its _FILE) is set",
      );
    }
    return undefined;
  }
  return {
    clientId: e.ACCOUNT_GOOGLE_CLIENT_ID,
    jwks: e.ACCOUNT_GOOGLE_JWKS_URL ?? GOOGLE_JWKS_URL,
    ...(e.ACCOUNT_GOOGLE_CLIENT_SECRET
      ? {
          codeFlow: {
            clientSecret: e.ACCOUNT_GOOGLE_CLIENT_SECRET,
            authorizationUrl: e.ACCOUNT_GOOGLE_AUTHORIZATION_URL ?? GOOGLE_AUTHORIZATION_URL,
            tokenUrl: e.ACCOUNT_GOOGLE_TOKEN_URL ?? GOOGLE_TOKEN_URL,
          },
        }
      : {}),
  };
}

/** Parses and validates the environment. Throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BillingConfig {
  const parsed = envSchema.safeParse(resolveSecretFiles(env));
  if (!parsed.success) {
    throw new ConfigError(`invalid billing configuration: ${describeZodError(parsed.error)}`);
  }
  const e = parsed.data as z.infer<typeof envSchema> & Record<string, string | undefined>;
  const priceIds = Object.fromEntries(PRODUCT_NAMES.map((p) => [p, e[priceVar(p)]])) as Record<
    ProductName,
    string
  >;
  if (e.KUBERNETES_SERVICE_HOST && !e.KUBECONFIG && !e.DATABASE_URL) {
    // In a pod the root filesystem is read-only and every replica would get its own PGlite: never right.
    throw new ConfigError(
      "invalid billing configuration: DATABASE_URL is required in a pod (KUBERNETES_SERVICE_HOST is set); the embedded PGlite is for local runs only",
    );
  }
  const admin = adminAuthFromEnv(e);
  if ("error" in admin) throw new ConfigError(`invalid billing configuration: ${admin.error}`);
  const registry = registryConfig(e);
  if (registry && "error" in registry)
    throw new ConfigError(`invalid billing configuration: ${registry.error}`);
  const distinct = new Set(Object.values(priceIds));
  if (distinct.size !== PRODUCT_NAMES.length) {
    throw new ConfigError("invalid billing configuration: STRIPE_PRICE_* must be distinct per product");
  }
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    pgliteDir: e.PGLITE_DIR,
    databaseMigrations: e.DATABASE_MIGRATIONS,
    stripeSecretKey: e.STRIPE_SECRET_KEY,
    stripeWebhookSecret: e.STRIPE_WEBHOOK_SECRET,
    stripeApiUrl: e.STRIPE_API_URL,
    stripeTimeoutMs: e.STRIPE_TIMEOUT_SECONDS * 1000,
    stripeMaxNetworkRetries: e.STRIPE_MAX_NETWORK_RETRIES,
    admin,
    kubeconfig: e.KUBECONFIG,
    kubernetes: {
      kubeconfig: e.KUBECONFIG,
      serviceHost: e.KUBERNETES_SERVICE_HOST,
      servicePort: e.KUBERNETES_SERVICE_PORT,
    },
    workstationIdentity: workstationIdentity(e),
    sessionsHeartbeatIntervalMs:
      e.SESSIONS_HEARTBEAT_INTERVAL_SECONDS === undefined
        ? undefined
        : e.SESSIONS_HEARTBEAT_INTERVAL_SECONDS * 1000,
    unlimitedLicenseSessionCeiling: e.UNLIMITED_LICENSE_SESSION_CEILING,
    // PGlite is one process and one session: a shared table buys nothing there (ADR 0160).
    rateLimitStore: e.RATE_LIMIT_STORE ?? (e.DATABASE_URL ? "postgres" : "memory"),
    sessionTokenLifetimeMs: e.SESSION_TOKEN_LIFETIME_HOURS * 60 * 60 * 1000,
    offlineTokenKeys: {
      ...(e.OFFLINE_TOKEN_KEYS ? { OFFLINE_TOKEN_KEYS: e.OFFLINE_TOKEN_KEYS } : {}),
      ...(e.OFFLINE_TOKEN_KEYS_FILE ? { OFFLINE_TOKEN_KEYS_FILE: e.OFFLINE_TOKEN_KEYS_FILE } : {}),
    },
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
    smtp: smtpConfig(e),
    paymentGraceMs: e.PAYMENT_GRACE_DAYS * DAY_MS,
    resyncIntervalMs: e.RESYNC_INTERVAL_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
    gcpProject: e.GOOGLE_CLOUD_PROJECT,
    priceIds,
    registry,
    accountGoogle: accountGoogleConfig(e),
  };
}
