/**
 * Reviewed allow-list: variables the services read that the production manifests deliberately leave unset,
 * because the built-in default is the right production value. Each entry says why. Anything read and not
 * set that is NOT here fails the rehearsal (rehearsal/env-check.ts). Review an addition like a config change.
 */
import type { ServiceName } from "./overrides.js";

export interface EnvAllowance {
  service: ServiceName;
  variable: string;
  reason: string;
}

export const ENV_ALLOW_LIST: EnvAllowance[] = [
  {
    service: "billing",
    variable: "PGLITE_DIR",
    reason: "used only when DATABASE_URL is unset; production sets DATABASE_URL",
  },
  {
    service: "billing",
    variable: "STRIPE_SECRET_KEY",
    reason: "production mounts it: STRIPE_SECRET_KEY_FILE is read instead",
  },
  {
    service: "billing",
    variable: "STRIPE_WEBHOOK_SECRET",
    reason: "production mounts it: STRIPE_WEBHOOK_SECRET_FILE",
  },
  {
    service: "billing",
    variable: "ADMIN_TOKEN",
    reason:
      "break-glass only, off in production (ADR 0165); when switched on it is mounted: ADMIN_TOKEN_FILE",
  },
  {
    service: "billing",
    variable: "ADMIN_TOKEN_FILE",
    reason: "unset: break-glass is off in production; the break-glass procedure mounts it (ADR 0165)",
  },
  {
    service: "billing",
    variable: "ADMIN_BREAK_GLASS",
    reason: "unset: break-glass is off in production; the break-glass procedure sets it (ADR 0165)",
  },
  {
    service: "billing",
    variable: "ADMIN_IAP_AUDIENCE",
    reason: "unset: admins reach billing by port-forward, no IAP in front (ADRs 0037, 0165)",
  },
  {
    service: "billing",
    variable: "ADMIN_IAP_JWKS_URL",
    reason: "unset: IAP's keys (https://www.gstatic.com/iap/verify/public_key-jwk) verify IAP assertions",
  },
  {
    service: "billing",
    variable: "ADMIN_GOOGLE_JWKS_URL",
    reason: "unset: Google's keys (https://www.googleapis.com/oauth2/v3/certs) verify admins' ID tokens",
  },
  {
    service: "billing",
    variable: "ACCOUNT_GOOGLE_CLIENT_ID",
    reason:
      "set only when controlPlane.accountGoogleClientId is (customers' Google sign-in, ADR 0220); unset = email links only",
  },
  {
    service: "billing",
    variable: "ACCOUNT_GOOGLE_JWKS_URL",
    reason: "unset: Google's keys (https://www.googleapis.com/oauth2/v3/certs) verify customers' ID tokens",
  },
  {
    service: "billing",
    variable: "ACCOUNT_GOOGLE_CLIENT_SECRET",
    reason:
      "production mounts it: ACCOUNT_GOOGLE_CLIENT_SECRET_FILE (the account-google-client-secret secret, ADR 0286)",
  },
  {
    service: "billing",
    variable: "ACCOUNT_GOOGLE_CLIENT_SECRET_FILE",
    reason:
      "mounted only when controlPlane.accountGoogleClientId is set (the pages' Sign in with Google, ADR 0286); unset = email links only",
  },
  {
    service: "billing",
    variable: "ACCOUNT_GOOGLE_AUTHORIZATION_URL",
    reason:
      "unset: Google's authorization endpoint (https://accounts.google.com/o/oauth2/v2/auth); tests only",
  },
  {
    service: "billing",
    variable: "ACCOUNT_GOOGLE_TOKEN_URL",
    reason:
      "unset: Google's token endpoint (https://oauth2.googleapis.com/token); tests and the sandbox only",
  },
  {
    service: "billing",
    variable: "SMTP_USER",
    reason:
      "production's relay admits the cluster's egress address without SMTP AUTH (controlPlane.smtp, ADR 0210)",
  },
  {
    service: "billing",
    variable: "SMTP_PASSWORD",
    reason: "only with SMTP_USER, and then mounted: SMTP_PASSWORD_FILE (the smtp-password secret)",
  },
  {
    service: "billing",
    variable: "SMTP_PASSWORD_FILE",
    reason: "mounted only when controlPlane.smtp.user is set; production's relay needs no password",
  },
  {
    service: "billing",
    variable: "OFFLINE_TOKEN_KEYS",
    reason: "production mounts it: OFFLINE_TOKEN_KEYS_FILE",
  },
  {
    service: "billing",
    variable: "STRIPE_API_URL",
    reason: "unset: the Stripe SDK's default host is the real Stripe API",
  },
  {
    service: "billing",
    variable: "KUBECONFIG",
    reason: "unset in a pod: billing then uses the in-cluster ServiceAccount (C5)",
  },
  {
    service: "billing",
    variable: "STRIPE_TIMEOUT_SECONDS",
    reason: "5 s per Stripe call, then a fast 503 with Retry-After, is the production setting (ADR 0122)",
  },
  {
    service: "billing",
    variable: "STRIPE_MAX_NETWORK_RETRIES",
    reason: "one retry per Stripe call bounds checkout at about two timeouts (ADR 0122)",
  },
  {
    service: "billing",
    variable: "WORKSTATION_IDENTITY_JWKS_URL",
    reason:
      "unset: Google's JWKS (https://www.googleapis.com/oauth2/v3/certs) verifies workstation identity tokens",
  },
  { service: "billing", variable: "PAYMENT_GRACE_DAYS", reason: "7 days is the product's grace period" },
  {
    service: "billing",
    variable: "UNLIMITED_LICENSE_SESSION_CEILING",
    reason: "1,000 concurrent sessions per unlimited license is the production ceiling (ADR 0142)",
  },
  {
    service: "billing",
    variable: "RESYNC_INTERVAL_SECONDS",
    reason: "300 s safety resync is the production setting",
  },
  {
    service: "billing",
    variable: "SESSION_TOKEN_LIFETIME_HOURS",
    reason: "24 h absolute session-token lifetime is the production setting (ADR 0161)",
  },
  {
    service: "billing",
    variable: "SESSIONS_HEARTBEAT_INTERVAL_SECONDS",
    reason: "the 5-minute agent heartbeat is the production setting",
  },
  {
    service: "operator",
    variable: "WORKSTATIONS_ENDPOINT",
    reason: "unset: the client's default is the Google API",
  },
  {
    service: "operator",
    variable: "WORKSTATIONS_INSECURE",
    reason: "false (TLS to Google) is the only production value",
  },
  { service: "operator", variable: "OPERATOR_WORKERS", reason: "4 workers suit the fleet size" },
  {
    service: "operator",
    variable: "OPERATOR_RELIST_MS",
    reason: "10-minute relist is the production setting",
  },
  { service: "operator", variable: "OPERATOR_OPERATION_POLL_MS", reason: "2 s long-running-operation poll" },
  {
    service: "operator",
    variable: "OPERATOR_OBSERVE_INTERVAL_MS",
    reason: "5-minute observation of running workstations",
  },
  {
    service: "operator",
    variable: "KUBECONFIG",
    reason: "unset in a pod: lib/kube's loadKubeConnection uses the pod's service account (ADR 0313)",
  },
  // Issue 15 (billing/registry): production mints Google access tokens; the docker-token settings are the
  // sandbox registry's, and IAM Credentials is Google's API.
  ...[
    "REGISTRY_TOKEN_ISSUER",
    "REGISTRY_TOKEN_SERVICE",
    "REGISTRY_TOKEN_KEY_FILE",
    "REGISTRY_TOKEN_CERTS_FILE",
  ].map((variable) => ({
    service: "billing" as const,
    variable,
    reason: "docker-token credentials are the sandbox registry's; production uses google-access-token",
  })),
  {
    service: "billing",
    variable: "REGISTRY_TOKEN_LIFETIME_SECONDS",
    reason: "docker-token credentials only (sandbox); 300 s is the maximum anyway",
  },
  {
    service: "billing",
    variable: "REGISTRY_ACCESS_TOKEN_LIFETIME_SECONDS",
    reason: "3600 s (1 h) is the production setting and the API's maximum without an org-policy exception",
  },
  {
    service: "billing",
    variable: "IAM_CREDENTIALS_API_ENDPOINT",
    reason: "unset: the client's default is Google's IAM Credentials API",
  },
];
