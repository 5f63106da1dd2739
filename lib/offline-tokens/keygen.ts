/**
 * `npm run sessions:keygen [-- --kid <id>]`: prints a new offline-token key set, `{"current": <Ed25519
 * private JWK>}`, on stdout — the document billing reads from OFFLINE_TOKEN_KEYS(_FILE). Pipe it straight
 * into Secret Manager so the private key never touches disk or shell history (docs/operations.md). For a
 * rotation, generate a key the same way and place it in the `next` slot of the current document.
 */
import { parseCommandLine } from "../cli.js";
import { exportPrivateJwk, generateSigningKey } from "./keys.js";

export async function generateKeySetDocument(kid?: string): Promise<string> {
  return JSON.stringify({ current: exportPrivateJwk(await generateSigningKey(kid)) });
}

async function main(): Promise<void> {
  const {
    values: { kid },
  } = parseCommandLine({
    name: "sessions:keygen",
    usage:
      "usage: npm run sessions:keygen [-- --kid <id>]\nPrints a new offline-token key set (a private key) on stdout: pipe it into Secret Manager.",
    options: { kid: { type: "string" } },
  });
  if (kid !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(kid)) {
    console.error(
      `sessions:keygen: --kid "${kid}" must be 1-128 characters of letters, digits, '.', '_' or '-'`,
    );
    process.exit(2);
  }
  process.stdout.write(`${await generateKeySetDocument(kid)}\n`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
