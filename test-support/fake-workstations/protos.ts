/**
 * Loads the gRPC service definitions the fake serves, from the very protos the client package ships
 * (`@google-cloud/workstations/build/protos`) plus google-gax's common protos (longrunning, IAM). Serving
 * the client's own schema is what keeps the fake honest about field names, enums and wire format.
 *
 * Test infrastructure: not used in production.
 */
import type * as grpc from "@grpc/grpc-js";
import { loadClientServices } from "../grpc-fake.js";

interface ServiceDefinitions {
  workstations: grpc.ServiceDefinition;
  operations: grpc.ServiceDefinition;
  iamPolicy: grpc.ServiceDefinition;
}

let cached: ServiceDefinitions | undefined;

/** The three services the Workstations client talks to on one endpoint. Loaded once per process. */
export function loadServiceDefinitions(): ServiceDefinitions {
  if (cached) return cached;
  const [workstations, operations, iamPolicy] = loadClientServices(
    "@google-cloud/workstations",
    [
      "google/cloud/workstations/v1/workstations.proto",
      "google/longrunning/operations.proto",
      "google/iam/v1/iam_policy.proto",
    ],
    ["google.cloud.workstations.v1.Workstations", "google.longrunning.Operations", "google.iam.v1.IAMPolicy"],
    { enums: String, oneofs: true },
  );
  cached = { workstations: workstations!, operations: operations!, iamPolicy: iamPolicy! };
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
