/**
 * `npm run fake:kms -- [--port <port>] [--key <key version name>]…`: runs the fake Cloud KMS (gRPC, plain
 * text, 127.0.0.1) with one P-384 signing key version per --key (default: the prod key's name in project
 * coditect-local), and prints one JSON line with the endpoint and each version's public key (PEM). Use it
 * with `npm run images:sign -- … --kms-endpoint 127.0.0.1:<port>`. docs/supply-chain.md.
 *
 * Test infrastructure and sandbox stand-in: never point production at it.
 */
import { parseCommandLine } from "../../lib/cli.js";
import { startFakeKms } from "./index.js";

const DEFAULT_KEY =
  "projects/coditect-local/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key/cryptoKeyVersions/1";

function fail(message: string): never {
  process.stderr.write(`fake:kms: ${message}\n`);
  process.exit(2);
}

const { values } = parseCommandLine({
  name: "fake:kms",
  usage: "usage: npm run fake:kms -- [--port <port>] [--key <projects/…/cryptoKeyVersions/<n>>]…",
  options: {
    port: { type: "string", default: "0" },
    key: { type: "string", multiple: true },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port must be an integer between 0 and 65535, got "${values.port}"`);
const kms = await startFakeKms({ port }).catch((error: Error) => fail(error.message));
const keys: Record<string, string> = {};
try {
  for (const name of values.key ?? [DEFAULT_KEY]) keys[name] = kms.createKeyVersion(name);
} catch (error) {
  await kms.stop();
  fail((error as Error).message);
}
process.stdout.write(`${JSON.stringify({ fakeKms: `${kms.endpoint.host}:${kms.endpoint.port}`, keys })}\n`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void kms.stop().then(() => process.exit(0));
  });
}
