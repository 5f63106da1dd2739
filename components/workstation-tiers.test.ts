import { describe, expect, it } from "vitest";
import {
  apiDuration,
  decideTierHost,
  supportsConfidentialCompute,
  type TierHostSpec,
} from "./workstation-tiers.js";

const spec = (over: Partial<TierHostSpec>): TierHostSpec => ({
  machineType: "e2-standard-4",
  bootDiskSizeGb: 50,
  homeDiskSizeGb: 100,
  homeDiskType: "pd-ssd",
  poolSize: 0,
  ...over,
});

describe("decideTierHost", () => {
  it.each([
    ["standard", spec({}), false],
    ["power", spec({ machineType: "n2d-standard-8" }), true],
    [
      "ai",
      spec({ machineType: "n1-standard-16", accelerator: { type: "nvidia-tesla-t4", count: 1 } }),
      false,
    ],
  ] as const)("%s tier: confidential compute = %s", (tier, s, confidential) => {
    expect(decideTierHost(tier, s).confidentialCompute).toBe(confidential);
  });

  it("never enables confidential compute on E2 (seed-notes D10)", () => {
    expect(supportsConfidentialCompute("e2-standard-4")).toBe(false);
    expect(supportsConfidentialCompute("n2d-standard-4")).toBe(true);
  });

  it("rejects a GPU on a machine family that cannot carry one", () => {
    expect(() =>
      decideTierHost(
        "ai",
        spec({ machineType: "e2-standard-8", accelerator: { type: "nvidia-tesla-t4", count: 1 } }),
      ),
    ).toThrow(/workstations\.tiers\.ai\.accelerator: GPUs can only be attached to n1/);
  });

  it("requires a GPU for the ai tier", () => {
    expect(() => decideTierHost("ai", spec({ machineType: "n1-standard-16" }))).toThrow(
      /ai tier must have a GPU/,
    );
  });

  it("rejects home disk sizes Cloud Workstations does not offer", () => {
    expect(() => decideTierHost("standard", spec({ homeDiskSizeGb: 120 }))).toThrow(
      /workstations\.tiers\.standard\.homeDiskSizeGb: 120/,
    );
  });

  it("formats API durations and rejects nonsense", () => {
    expect(apiDuration(1800)).toBe("1800s");
    expect(() => apiDuration(0)).toThrow(/positive integer/);
  });
});
