/**
 * How admins authenticate, from the environment (billing/config.ts declares the variables): Google
 * identities on an allow-list (ADR 0165), and the shared token as a break-glass credential that a pod
 * accepts only when ADMIN_BREAK_GLASS=true says someone deliberately turned it on.
 */
import { GOOGLE_ISSUERS, GOOGLE_JWKS_URL, IAP_ISSUER, IAP_JWKS_URL } from "../http/google-jwt.js";

export interface AdminAuthConfig {
  /** Lower-cased admin emails; a verified identity not on it gets 403. */
  emails: string[];
  /** Google ID tokens (`Authorization: Bearer <gcloud auth print-identity-token>`); undefined = not accepted. */
  idToken: { audiences: string[]; jwks: string; issuers: string[] } | undefined;
  /** IAP's signed header (`x-goog-iap-jwt-assertion`); undefined = not accepted. */
  iap: { audience: string; jwks: string; issuers: string[] } | undefined;
  /** The shared break-glass token; undefined = off (production's default). */
  breakGlassToken: string | undefined;
}

export interface AdminAuthEnv {
  ADMIN_EMAILS?: string | undefined;
  ADMIN_ID_TOKEN_AUDIENCES?: string | undefined;
  ADMIN_IAP_AUDIENCE?: string | undefined;
  ADMIN_GOOGLE_JWKS_URL?: string | undefined;
  ADMIN_IAP_JWKS_URL?: string | undefined;
  ADMIN_TOKEN?: string | undefined;
  ADMIN_BREAK_GLASS?: "true" | "false" | undefined;
  KUBERNETES_SERVICE_HOST?: string | undefined;
}

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** Pure: the admin settings, or a message naming the variable to fix. */
export function adminAuthFromEnv(e: AdminAuthEnv): AdminAuthConfig | { error: string } {
  const emails = list(e.ADMIN_EMAILS).map((s) => s.toLowerCase());
  const audiences = list(e.ADMIN_ID_TOKEN_AUDIENCES);
  const iapAudience = e.ADMIN_IAP_AUDIENCE;
  const identityConfigured = audiences.length > 0 || iapAudience !== undefined;
  if (emails.length > 0 && !identityConfigured) {
    return {
      error:
        "ADMIN_EMAILS is set but no way to prove an identity is: set ADMIN_ID_TOKEN_AUDIENCES (Google ID tokens) and/or ADMIN_IAP_AUDIENCE (Identity-Aware Proxy)",
    };
  }
  if (identityConfigured && emails.length === 0) {
    return {
      error: `ADMIN_EMAILS is required when ${audiences.length > 0 ? "ADMIN_ID_TOKEN_AUDIENCES" : "ADMIN_IAP_AUDIENCE"} is set (the allow-list of admin emails)`,
    };
  }
  // In a pod (production) the shared token is off unless switched on on purpose (docs/operations.md,
  // break-glass procedure); on a laptop, the sandbox and tests it stays the simple way in.
  const inPod = e.KUBERNETES_SERVICE_HOST !== undefined;
  if (e.ADMIN_TOKEN !== undefined && inPod && e.ADMIN_BREAK_GLASS !== "true") {
    return {
      error:
        "ADMIN_TOKEN is a break-glass credential: in a pod it is accepted only with ADMIN_BREAK_GLASS=true (docs/operations.md, break-glass procedure); admins authenticate with their Google identity (ADMIN_EMAILS)",
    };
  }
  if (e.ADMIN_BREAK_GLASS === "true" && e.ADMIN_TOKEN === undefined) {
    return { error: "ADMIN_BREAK_GLASS=true needs ADMIN_TOKEN or ADMIN_TOKEN_FILE (the break-glass token)" };
  }
  if (emails.length === 0 && e.ADMIN_TOKEN === undefined) {
    return {
      error:
        "the admin API needs ADMIN_EMAILS with ADMIN_ID_TOKEN_AUDIENCES and/or ADMIN_IAP_AUDIENCE (admins' Google identities), or outside production ADMIN_TOKEN (a random bearer token of at least 32 characters)",
    };
  }
  return {
    emails,
    idToken:
      audiences.length > 0
        ? { audiences, jwks: e.ADMIN_GOOGLE_JWKS_URL ?? GOOGLE_JWKS_URL, issuers: GOOGLE_ISSUERS }
        : undefined,
    iap:
      iapAudience !== undefined
        ? { audience: iapAudience, jwks: e.ADMIN_IAP_JWKS_URL ?? IAP_JWKS_URL, issuers: [IAP_ISSUER] }
        : undefined,
    breakGlassToken: e.ADMIN_TOKEN,
  };
}
