import { describe, expect, it } from "vitest";
import { userLabelValue } from "./user-label.js";

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe("userLabelValue", () => {
  it.each([
    ["alice@example.com", "alice_at_example.com"],
    ["Alice.Smith+dev@Example.com", "alice.smith_dev_at_example.com"],
    ["  bob@corp.example  ", "bob_at_corp.example"],
    ["_x@y.z", "x_at_y.z"],
  ])("spells %j as %j", (email, label) => {
    expect(userLabelValue(email)).toBe(label);
  });

  it("keeps a long address a valid, unique label value", () => {
    const a = `${"a".repeat(60)}@example.com`;
    const b = `${"a".repeat(60)}@example.org`;
    for (const v of [userLabelValue(a), userLabelValue(b)]) {
      expect(v.length).toBeLessThanOrEqual(63);
      expect(v).toMatch(LABEL_VALUE);
    }
    expect(userLabelValue(a)).not.toBe(userLabelValue(b));
  });

  it("is a valid label value for any string", () => {
    for (const email of ["@", "…@…", "名前@例え.jp", "a".repeat(300), "-@-"]) {
      const v = userLabelValue(email);
      expect(v.length, email).toBeLessThanOrEqual(63);
      expect(v, email).toMatch(LABEL_VALUE);
      expect(v.length, email).toBeGreaterThan(0);
    }
  });
});
