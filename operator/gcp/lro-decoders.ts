/**
 * gax wraps every long-running call's answer in an Operation that decodes its response and metadata with
 * the descriptors' decoders — which the generated client binds to protobufjs reflection Types *before* their
 * first use (`Type.decode.bind(type)` captures the prototype's `decode_setup`). Each call therefore runs
 * `Type.setup()` again: five generated codecs (encode, decode, verify, fromObject, toObject) compiled per
 * answer, ≈ 0.7 ms of CPU per create/start — 17 % of the operator's CPU provisioning a Workstation from
 * scratch (docs/performance.md "Goal 5", ADR 0315). The gateway only reads the operation's name, but the
 * decode still runs; these decoders are the package's static generated ones (already compiled), the same
 * operation-status.ts uses, so the decoded values are those of the reflection Types.
 */
import { protos, type v1 } from "@google-cloud/workstations";

/** The long-running methods the gateway calls; each answers a Workstation with OperationMetadata. */
const WORKSTATION_LROS = [
  "createWorkstation",
  "updateWorkstation",
  "startWorkstation",
  "stopWorkstation",
  "deleteWorkstation",
] as const;

type Decoder = v1.WorkstationsClient["descriptors"]["longrunning"][string]["responseDecoder"];

/** Points the client's Workstation LRO descriptors at the compiled decoders (idempotent). */
export function useCompiledLroDecoders(client: v1.WorkstationsClient): void {
  const { Workstation, OperationMetadata } = protos.google.cloud.workstations.v1;
  // Absent until initialize() runs in the constructor of a client built without gax (never in practice).
  const descriptors = client.descriptors?.longrunning ?? {};
  for (const method of WORKSTATION_LROS) {
    const descriptor = descriptors[method];
    if (!descriptor) continue;
    // gax types decoders as returning reflection Messages; it only stores what they return.
    descriptor.responseDecoder = ((bytes: Uint8Array) => Workstation.decode(bytes)) as unknown as Decoder;
    descriptor.metadataDecoder = ((bytes: Uint8Array) =>
      OperationMetadata.decode(bytes)) as unknown as Decoder;
  }
}
