/**
 * `npm run sessions:keygen [-- --kid <id>]`: prints a new offline-token key set, `{"current": <Ed25519
 * private JWK>}`, on stdout — the document billing reads from OFFLINE_TOKEN_KEYS(_FILE). Pipe it straight
 * into Secret Manager so the private key never touches disk or shell history (docs/operations.md). For a
 * rotation, generate a key the same way and place it in the `next` slot of the current document.
 *
 * `npm run sessions:keygen -- --public`: reads a key-set document on stdin and prints its public JWKS —
 * what images/config/<stack>.json bakes into production agents (ADR 0155), e.g.
 * `gcloud secrets versions access latest --secret offline-token-signing-key | npm run -s sessions:keygen -- --public`.
 */
import { text } from "node:stream/consumers";
import { parseCommandLine } from "../cli.js";
import { exportPrivateJwk, generateSigningKey, keySetFromConfig } from "./keys.js";
import { publicJwks } from "./tokens.js";

export async function generateKeySetDocument(kid?: string): Promise<string> {
  return JSON.stringify({ current: exportPrivateJwk(await generateSigningKey(kid)) });
}

async function main(): Promise<void> {
  const {
    values: { kid, public: toPublic },
  } = parseCommandLine({
    name: "sessions:keygen",
    usage:
      "usage: npm run sessions:keygen [-- --kid <id>] | npm run sessions:keygen -- --public < key-set.json\nPrints a new offline-token key set (a private key) on stdout: pipe it into Secret Manager.\n--public reads a key set on stdin and prints its public JWKS (for images/config/<stack>.json).",
    options: { kid: { type: "string" }, public: { type: "boolean" } },
  });
  if (toPublic) {
    try {
      const keySet = await keySetFromConfig(await text(process.stdin), "stdin");
      process.stdout.write(`${JSON.stringify(publicJwks(keySet), null, 2)}\n`);
    } catch (error) {
      console.error(`sessions:keygen: ${(error as Error).message}`);
      process.exit(2);
    }
    return;
  }
  if (kid !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(kid)) {
    console.error(
      `sessions:keygen: --kid "${kid}" must be 1-128 characters of letters, digits, '.', '_' or '-'`,
    );
    process.exit(2);
  }
  process.stdout.write(`${await generateKeySetDocument(kid)}\n`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
