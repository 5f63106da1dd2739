/**
 * Loads the gRPC service definitions the fake serves, from the very protos the client package ships
 * (`@google-cloud/workstations/build/protos`) plus google-gax's common protos (longrunning, IAM). Serving
 * the client's own schema is what keeps the fake honest about field names, enums and wire format.
 *
 * Test infrastructure: not used in production.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const require = createRequire(import.meta.url);

function packageRoot(entry: string): string {
  // Both packages resolve to `<root>/build/src/index.js`.
  return path.resolve(path.dirname(entry), "..", "..");
}

const workstationsRoot = packageRoot(require.resolve("@google-cloud/workstations"));
// google-gax is the client's own dependency: resolve it from there so the protos match the client.
const gaxRoot = packageRoot(require.resolve("google-gax", { paths: [workstationsRoot] }));

export const PROTO_INCLUDE_DIRS = [
  path.join(workstationsRoot, "build", "protos"),
  path.join(gaxRoot, "build", "protos"),
];

interface ServiceDefinitions {
  workstations: grpc.ServiceDefinition;
  operations: grpc.ServiceDefinition;
  iamPolicy: grpc.ServiceDefinition;
}

let cached: ServiceDefinitions | undefined;

/** The three services the Workstations client talks to on one endpoint. Loaded once per process. */
export function loadServiceDefinitions(): ServiceDefinitions {
  if (cached) return cached;
  const definition = protoLoader.loadSync(
    [
      "google/cloud/workstations/v1/workstations.proto",
      "google/longrunning/operations.proto",
      "google/iam/v1/iam_policy.proto",
    ],
    {
      includeDirs: PROTO_INCLUDE_DIRS,
      keepCase: false,
      enums: String,
      longs: String,
      defaults: true,
      oneofs: true,
    },
  );
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: {
      cloud: { workstations: { v1: { Workstations: grpc.ServiceClientConstructor } } };
      longrunning: { Operations: grpc.ServiceClientConstructor };
      iam: { v1: { IAMPolicy: grpc.ServiceClientConstructor } };
    };
  };
  cached = {
    workstations: loaded.google.cloud.workstations.v1.Workstations.service,
    operations: loaded.google.longrunning.Operations.service,
    iamPolicy: loaded.google.iam.v1.IAMPolicy.service,
  };
  return cached;
}

const TYPE_PREFIX = "type.googleapis.com/google.cloud.workstations.v1.";

/**
 * A `google.protobuf.Any` holding a message of this API. protobufjs (used by proto-loader to serialise)
 * packs objects carrying an `@type` into `{type_url, value}` with the named message's encoding.
 */
export function packAny(
  typeName: "Workstation" | "WorkstationConfig" | "WorkstationCluster" | "OperationMetadata",
  message: object,
): object {
  return { "@type": TYPE_PREFIX + typeName, ...message };
}
