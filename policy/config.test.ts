import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicyConfig, parseEnforcementFlag, parsePolicyConfig, withOverrides } from "./config.js";

const known = new Set(["rule-a", "rule-b"]);

describe("policy config", () => {
  it("reads levels and settings in Pulumi's policy-pack-config shape", () => {
    const config = parsePolicyConfig(
      { "rule-a": "advisory", "rule-b": { enforcementLevel: "disabled", exemptRoles: ["x"] } },
      "config.json",
      known,
    );
    expect(config).toEqual({
      enforcement: { "rule-a": "advisory", "rule-b": "disabled" },
      settings: { "rule-b": { exemptRoles: ["x"] } },
    });
  });

  it("applies an `all` level under rule-specific entries", () => {
    const config = parsePolicyConfig({ all: "advisory", "rule-b": "mandatory" }, "c", known);
    expect(config.enforcement).toEqual({ "rule-a": "advisory", "rule-b": "mandatory" });
  });

  it("rejects unknown rules, unknown levels and wrong shapes with the offending value", () => {
    expect(() => parsePolicyConfig({ "rule-z": "advisory" }, "c.json", known)).toThrow(
      /c.json: no policy named "rule-z"/,
    );
    expect(() => parsePolicyConfig({ "rule-a": "block" }, "c.json", known)).toThrow(
      /enforcement level "block" is not one of/,
    );
    expect(() => parsePolicyConfig({ "rule-a": 3 }, "c.json", known)).toThrow(
      /expected a level string or an object, got 3/,
    );
    expect(() => parsePolicyConfig([], "c.json", known)).toThrow(/expected an object/);
  });

  it("reports unreadable and non-JSON files by path", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-config-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ nope");
    expect(() => loadPolicyConfig(bad, known)).toThrow(`policy config ${bad} is not valid JSON`);
    expect(() => loadPolicyConfig(join(dir, "missing.json"), known)).toThrow(
      /cannot read policy config .*missing.json/,
    );
  });

  it("parses --enforcement flags and lets them win over the file", () => {
    expect(parseEnforcementFlag("rule-a=mandatory", known)).toEqual(["rule-a", "mandatory"]);
    expect(() => parseEnforcementFlag("rule-a", known)).toThrow(/expects <rule>=<level>, got "rule-a"/);
    expect(() => parseEnforcementFlag("rule-q=advisory", known)).toThrow(/no policy named "rule-q"/);
    expect(() => parseEnforcementFlag("rule-a=loud", known)).toThrow(/"loud" is not one of/);
    const merged = withOverrides({ enforcement: { "rule-a": "advisory" }, settings: {} }, [
      ["rule-a", "disabled"],
    ]);
    expect(merged.enforcement["rule-a"]).toBe("disabled");
  });
});
