/**
 * `npm run sandbox:publish [-- --data-dir <dir>]`: pushes the licensed Docker image (once built with
 * `npm run images:build -- docker --stack test`) to the running sandbox's registry and signs it through its fake Cloud
 * KMS — what `npm start` does at start — then prints the commands that verify it. Needs a running sandbox
 * (`npm start`) with docker-registry installed, found through `<data>/sandbox.json`. docs/sandbox.md.
 */
import { relative, resolve } from "node:path";
import { parseCommandLine } from "../lib/cli.js";
import { verifyCommands } from "./banner.js";
import { dataPaths, SANDBOX_LICENSED_IMAGE } from "./plan.js";
import { publishLicensedImage, REGISTRY_MISSING } from "./publish.js";
import { readRunningState } from "./state.js";

const USAGE = "usage: npm run sandbox:publish -- [--data-dir <dir>]";

function fail(message: string, code = 1): never {
  process.stderr.write(`sandbox:publish: ${message}\n`);
  process.exit(code);
}

const { values } = parseCommandLine({
  name: "sandbox:publish",
  usage: USAGE,
  options: { "data-dir": { type: "string" } },
});
const dataDir = resolve(values["data-dir"] ?? process.env.SANDBOX_DATA_DIR ?? ".data");
const sandbox = readRunningState(dataPaths(dataDir).state);
if (!sandbox) fail(`no sandbox is running with data dir ${dataDir}: start it with npm start`);
if (!sandbox.urls.registry || !sandbox.urls.kms) fail(REGISTRY_MISSING);

const status = await publishLicensedImage({
  dataDir,
  registry: sandbox.urls.registry,
  kms: sandbox.urls.kms,
});
switch (status.kind) {
  case "published": {
    const key = relative(process.cwd(), dataPaths(dataDir).signingKey);
    process.stdout.write(
      `${status.alreadySigned ? "pushed (already signed)" : "pushed and signed"}: ${status.reference} (${status.seconds.toFixed(1)} s)\n` +
        `verify it:\n${verifyCommands(
          status.reference,
          key.startsWith("..") ? dataPaths(dataDir).signingKey : key,
        )
          .map((command) => `  ${command}`)
          .join("\n")}\n`,
    );
    break;
  }
  case "not-built":
    fail(`${status.reason}: build it first with ${SANDBOX_LICENSED_IMAGE.buildCommand}`);
    break;
  case "failed":
    fail(status.error);
    break;
  case "off":
  case "publishing":
    fail(status.reason);
}
