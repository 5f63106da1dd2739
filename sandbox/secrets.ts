/**
 * Sandbox-only secrets, generated once and kept under the data directory (mode 0600) so they survive
 * restarts: the admin API token, the Stripe webhook signing secret shared by the fake Stripe and billing,
 * and the offline-token signing key set (tokens cached by agents stay verifiable across restarts).
 * Never used outside the sandbox; `--reset` throws them away with the rest of the data directory.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { exportPrivateJwk, generateSigningKey } from "../lib/offline-tokens/index.js";

export interface SandboxSecrets {
  adminToken: string;
  webhookSecret: string;
  /** Path of the offline-token key-set JSON (billing reads it via OFFLINE_TOKEN_KEYS_FILE). */
  offlineTokenKeysFile: string;
}

const stored = z.object({
  adminToken: z.string().min(32),
  webhookSecret: z.string().regex(/^whsec_\w+$/),
});

export const SECRETS_FILE = "sandbox-secrets.json";
export const OFFLINE_KEYS_FILE = "offline-token-keys.json";

/** Reads the sandbox secrets from dataDir, creating any that are missing. */
export async function loadOrCreateSecrets(dataDir: string): Promise<SandboxSecrets> {
  mkdirSync(dataDir, { recursive: true });
  const secretsPath = join(dataDir, SECRETS_FILE);
  let secrets: z.infer<typeof stored>;
  if (existsSync(secretsPath)) {
    const parsed = stored.safeParse(JSON.parse(readFileSync(secretsPath, "utf8")));
    if (!parsed.success) {
      throw new Error(
        `${secretsPath} is not a valid sandbox secrets file (${parsed.error.issues[0]?.message}); ` +
          "delete it or start with --reset",
      );
    }
    secrets = parsed.data;
  } else {
    secrets = {
      adminToken: `sandbox-admin-${randomBytes(24).toString("hex")}`,
      webhookSecret: `whsec_sandbox${randomBytes(24).toString("hex")}`,
    };
    writeFileSync(secretsPath, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  const offlineTokenKeysFile = join(dataDir, OFFLINE_KEYS_FILE);
  if (!existsSync(offlineTokenKeysFile)) {
    const current = exportPrivateJwk(await generateSigningKey("sandbox-1"));
    writeFileSync(offlineTokenKeysFile, `${JSON.stringify({ current })}\n`, { mode: 0o600 });
  }
  return { ...secrets, offlineTokenKeysFile };
}
