/**
 * `npm run fake:workstations -- --port <port> [--polls <n>] [--project p --location l --cluster c
 * --configs standard,power,ai]`: runs the fake Cloud Workstations API (gRPC, plain text, 127.0.0.1) for
 * the local sandbox, seeded with one cluster and its configs. Prints one JSON line with the endpoint.
 *
 * Test infrastructure: never point production at it.
 */
import { parseCommandLine } from "../../lib/cli.js";
import { type SeededFleet, startFakeWorkstations } from "./index.js";

function fail(message: string): never {
  process.stderr.write(`fake:workstations: ${message}\n`);
  process.exit(2);
}

function integer(flag: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    fail(`--${flag} must be an integer between ${min} and ${max}, got "${value}"`);
  }
  return parsed;
}

const { values } = parseCommandLine({
  name: "fake:workstations",
  usage:
    "usage: npm run fake:workstations -- [--port <port>] [--polls <n>] [--project <p>] [--location <l>] [--cluster <c>] [--configs standard,power,ai]",
  options: {
    port: { type: "string", default: "0" },
    polls: { type: "string", default: "2" },
    project: { type: "string", default: "coditect-local" },
    location: { type: "string", default: "us-central1" },
    cluster: { type: "string", default: "coditect-ws-cluster" },
    configs: { type: "string", default: "standard,power,ai" },
  },
});

const port = integer("port", values.port!, 0, 65535);
const polls = integer("polls", values.polls!, 0, 1000);
const fake = await startFakeWorkstations({ port, operationPollsToComplete: polls }).catch((error: Error) =>
  fail(error.message),
);
let fleet: SeededFleet;
try {
  fleet = fake.seedFleet({
    project: values.project!,
    location: values.location!,
    cluster: values.cluster!,
    configIds: values.configs!.split(",").filter(Boolean),
  });
} catch (error) {
  await fake.stop();
  fail(`cannot seed: ${(error as Error).message}`);
}

process.stdout.write(
  `${JSON.stringify({
    fakeWorkstations: `${fake.endpoint.host}:${fake.endpoint.port}`,
    cluster: fleet.cluster,
    configs: Object.values(fleet.configs),
  })}\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void fake.stop().then(() => process.exit(0));
  });
}
