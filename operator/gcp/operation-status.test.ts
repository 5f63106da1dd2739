import { protos } from "@google-cloud/workstations";
import { describe, expect, it } from "vitest";
import { toOperationStatus } from "./operation-status.js";

const v1 = protos.google.cloud.workstations.v1;
const PREFIX = "type.googleapis.com/google.cloud.workstations.v1.";
const metadata = {
  type_url: `${PREFIX}OperationMetadata`,
  value: v1.OperationMetadata.encode({ verb: "start", target: "projects/p/…/workstations/w" }).finish(),
};
const workstationBytes = v1.Workstation.encode({
  name: "projects/p/…/workstations/w",
  state: 2,
  host: "h",
}).finish();

describe("toOperationStatus", () => {
  it("reports a pending operation with its verb and target", () => {
    expect(toOperationStatus("op", { done: false, metadata })).toEqual({
      name: "op",
      done: false,
      verb: "start",
      target: "projects/p/…/workstations/w",
    });
  });

  it("decodes the Workstation response, with the state named", () => {
    const status = toOperationStatus("op", {
      done: true,
      metadata,
      response: { type_url: `${PREFIX}Workstation`, value: workstationBytes },
    });
    expect(status).toMatchObject({ done: true, workstation: { state: "STATE_RUNNING", host: "h" } });
  });

  it("accepts base64 text values (proto3 JSON) and camelCase typeUrl", () => {
    const status = toOperationStatus("op", {
      done: true,
      response: { typeUrl: `${PREFIX}Workstation`, value: Buffer.from(workstationBytes).toString("base64") },
    });
    expect(status).toMatchObject({ done: true, workstation: { name: "projects/p/…/workstations/w" } });
  });

  it("classifies an operation error and names the operation and target", () => {
    const status = toOperationStatus("op-9", { done: true, metadata, error: { code: 9, message: "busy" } });
    if (!status.done) throw new Error("expected done");
    expect(status.error).toMatchObject({
      code: 9,
      kind: "terminal",
      resource: "projects/p/…/workstations/w",
    });
    expect(status.error?.message).toContain("start operation op-9");
    expect(status.workstation).toBeUndefined();
  });

  it("ignores responses of other types", () => {
    const status = toOperationStatus("op", {
      done: true,
      response: { type_url: `${PREFIX}WorkstationConfig`, value: new Uint8Array() },
    });
    expect(status).toEqual({ name: "op", done: true });
  });

  it("reports when a finished operation ended (metadata end_time), for the reconciler's freshness check", () => {
    const ended = {
      type_url: `${PREFIX}OperationMetadata`,
      value: v1.OperationMetadata.encode({
        verb: "start",
        target: "projects/p/…/workstations/w",
        endTime: { seconds: 1_800_000_000, nanos: 250_000_000 },
      }).finish(),
    };
    const status = toOperationStatus("op", { done: true, metadata: ended });
    expect(status).toMatchObject({ done: true, endTime: new Date(1_800_000_000_250) });
    // Still running: no end time, even if the metadata carried one.
    expect(toOperationStatus("op", { done: false, metadata: ended })).not.toHaveProperty("endTime");
  });
});
