/**
 * Generated values for the files the SecretProviderClass declares (what Secret Manager would hold): real
 * formats, fresh random values per rehearsal. Billing reads them from the CSI mount; the rehearsal hands the
 * matching halves to the stand-ins (the webhook secret to the fake Stripe, the password to PostgreSQL).
 */
import { randomBytes } from "node:crypto";
import { generateKeySetDocument } from "../lib/offline-tokens/keygen.js";

export interface GeneratedSecrets {
  /** file name (SecretProviderClass `path`) → content */
  files: Record<string, string>;
  stripeSecretKey: string;
  webhookSecret: string;
  adminToken: string;
  databasePassword: string;
  /** The migration user's (ADR 0166). */
  migrationPassword: string;
}

export async function generateSecrets(paths: string[]): Promise<GeneratedSecrets> {
  const hex = (n: number) => randomBytes(n).toString("hex");
  const known: Record<string, string> = {
    "stripe-secret-key": `sk_test_rehearsal${hex(16)}`,
    "stripe-webhook-secret": `whsec_rehearsal${hex(16)}`,
    "billing-admin-token": `rehearsal-admin-${hex(24)}`,
    "billing-database-password": hex(24),
    "billing-migration-database-password": hex(24),
    "offline-token-signing-key": await generateKeySetDocument("rehearsal-1"),
    // Only declared when a stack sets controlPlane.accountGoogleClientId (ADR 0286).
    "account-google-client-secret": `GOCSPX-rehearsal${hex(12)}`,
  };
  const files: Record<string, string> = {};
  for (const path of paths) {
    const value = known[path];
    if (value === undefined) {
      throw new Error(
        `the SecretProviderClass declares "${path}", for which the rehearsal has no generator (rehearsal/secrets.ts knows: ${Object.keys(known).join(", ")})`,
      );
    }
    files[path] = value;
  }
  return {
    files,
    stripeSecretKey: known["stripe-secret-key"]!,
    webhookSecret: known["stripe-webhook-secret"]!,
    adminToken: known["billing-admin-token"]!,
    databasePassword: known["billing-database-password"]!,
    migrationPassword: known["billing-migration-database-password"]!,
  };
}
