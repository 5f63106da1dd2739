/** Overrides and offline stand-ins for the plan (contract C2): pure functions over the flat config map. */
import { describe, expect, it } from "vitest";
import { OFFLINE_STAND_INS } from "../placeholders.js";
import { applyOverrides, standInNotice, standInsFor } from "./overrides.js";
import { planConfig, REPO_ROOT } from "./run-plan.js";

const NS = "coditect-control-plane";

describe("applyOverrides", () => {
  it("sets dotted paths inside structured values and creates missing objects", () => {
    const flat = { [`${NS}:controlPlane`]: JSON.stringify({ billingMinReplicas: 2 }), "gcp:project": "p" };
    const out = applyOverrides(flat, {
      "controlPlane.billingImage": "img",
      "controlPlane.stripePriceIds.pro": "price_x",
      region: "europe-west4",
    });
    expect(JSON.parse(out[`${NS}:controlPlane`]!)).toEqual({
      billingMinReplicas: 2,
      billingImage: "img",
      stripePriceIds: { pro: "price_x" },
    });
    expect(out[`${NS}:region`]).toBe("europe-west4");
    expect(out["gcp:project"]).toBe("p");
    expect(flat[`${NS}:controlPlane`]).toBe(JSON.stringify({ billingMinReplicas: 2 }));
  });

  it("refuses paths that cannot be set", () => {
    expect(() => applyOverrides({}, { "a..b": 1 })).toThrow(/not a dotted config path/);
    expect(() => applyOverrides({ [`${NS}:region`]: "us-central1" }, { "region.x": 1 })).toThrow(
      /is not an object/,
    );
  });
});

describe("stand-ins", () => {
  it("fills only what the stack leaves unset, in the stack's own internal registry", () => {
    const { config } = planConfig("prod");
    const needed = standInsFor(applyOverrides(config, { "controlPlane.billingImage": "real" }));
    expect(Object.keys(needed)).not.toContain("controlPlane.billingImage");
    const { standInsUsed, config: planned } = planConfig("prod");
    expect(standInsUsed.sort()).toEqual(Object.keys(OFFLINE_STAND_INS).sort());
    expect(JSON.parse(planned[`${NS}:controlPlane`]!).operatorImage).toBe(
      "us-central1-docker.pkg.dev/coditect-citus-prod/coditect-platform/operator@sha256:" +
        "0ff11e00".repeat(8),
    );
  });

  it("lets callers pass OFFLINE_STAND_INS (or real values) as overrides, registry token resolved", () => {
    const { config, standInsUsed } = planConfig("dev", REPO_ROOT, {
      overrides: { ...OFFLINE_STAND_INS, "controlPlane.stripePriceIds.pro": "price_1Live" },
    });
    expect(standInsUsed).toEqual([]);
    const cp = JSON.parse(config[`${NS}:controlPlane`]!);
    expect(cp.billingImage).toMatch(
      /^us-central1-docker\.pkg\.dev\/coditect-citus-dev\/coditect-platform\/billing@/,
    );
    expect(cp.stripePriceIds.pro).toBe("price_1Live");
  });

  it("says which stand-ins a plan used, and nothing when none", () => {
    expect(standInNotice("policy", "prod", [])).toBe("");
    expect(standInNotice("policy", "prod", ["controlPlane.billingImage"])).toMatch(
      /^policy: stack "prod" leaves 1 value\(s\) to a human.*controlPlane\.billingImage.*refuses them/,
    );
  });
});
