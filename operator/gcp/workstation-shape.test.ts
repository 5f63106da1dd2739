import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromProtoWorkstation, normaliseState, toDate } from "./workstation-shape.js";

describe("normaliseState", () => {
  it.each([
    [0, "STATE_UNSPECIFIED"],
    [1, "STATE_STARTING"],
    [2, "STATE_RUNNING"],
    [3, "STATE_STOPPING"],
    [4, "STATE_STOPPED"],
    [9, "STATE_UNSPECIFIED"],
    ["STATE_RUNNING", "STATE_RUNNING"],
    ["RUNNING", "STATE_UNSPECIFIED"],
    [null, "STATE_UNSPECIFIED"],
    [undefined, "STATE_UNSPECIFIED"],
  ] as const)("%s → %s", (input, expected) => {
    expect(normaliseState(input)).toBe(expected);
  });
});

describe("toDate", () => {
  it.each([
    [{ seconds: "1767225600", nanos: 500_000_000 }, "2026-01-01T00:00:00.500Z"],
    [{ seconds: 1767225600 }, "2026-01-01T00:00:00.000Z"],
    [{ seconds: { toString: () => "1767225600" }, nanos: 0 }, "2026-01-01T00:00:00.000Z"],
  ])("%o → %s", (input, iso) => {
    expect(toDate(input)?.toISOString()).toBe(iso);
  });

  it("treats absent and zero timestamps as absent", () => {
    expect(toDate(undefined)).toBeUndefined();
    expect(toDate(null)).toBeUndefined();
    expect(toDate({ seconds: "0", nanos: 0 })).toBeUndefined();
  });
});

describe("fromProtoWorkstation", () => {
  it("normalises a numeric-enum LRO result and drops an empty host", () => {
    const workstation = fromProtoWorkstation({
      name: "n",
      uid: "u",
      state: 4,
      host: "",
      etag: "e",
      reconciling: false,
      labels: { a: "b" },
      createTime: { seconds: "1767225600" },
    });
    expect(workstation).toEqual({
      name: "n",
      uid: "u",
      displayName: "",
      state: "STATE_STOPPED",
      etag: "e",
      reconciling: false,
      labels: { a: "b" },
      annotations: {},
      envSha256: {},
      createTime: new Date("2026-01-01T00:00:00Z"),
    });
  });

  it("reports the env only as SHA-256 digests: the workstation credential never leaves the gateway", () => {
    const workstation = fromProtoWorkstation({ env: { CODITECT_WORKSTATION_CREDENTIAL: "s3cret" } });
    expect(workstation.envSha256).toEqual({
      CODITECT_WORKSTATION_CREDENTIAL: createHash("sha256").update("s3cret").digest("hex"),
    });
    expect(JSON.stringify(workstation)).not.toContain("s3cret");
  });

  it("keeps the host of a running workstation", () => {
    expect(fromProtoWorkstation({ state: "STATE_RUNNING", host: "w.c.cloudworkstations.dev" })).toMatchObject(
      {
        state: "STATE_RUNNING",
        host: "w.c.cloudworkstations.dev",
      },
    );
  });
});
