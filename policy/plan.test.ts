import { describe, expect, it } from "vitest";
import { parsePlanText } from "./plan.js";

describe("resources file parsing", () => {
  it("accepts the plan format and fills optional fields", () => {
    const plan = parsePlanText(
      JSON.stringify({
        project: "coditect-control-plane",
        stack: "prod",
        resources: [
          { urn: "urn:a", type: "gcp:compute/network:Network", name: "vpc", inputs: { name: "v" } },
        ],
      }),
      "plan.json",
    );
    expect(plan.resources[0]).toEqual({
      urn: "urn:a",
      type: "gcp:compute/network:Network",
      name: "vpc",
      parent: null,
      inputs: { name: "v" },
      dependencies: [],
    });
  });

  it("names the file and the failing path", () => {
    expect(() => parsePlanText("{", "plan.json")).toThrow(/^plan.json is not valid JSON/);
    expect(() => parsePlanText("[]", "plan.json")).toThrow(/at \(top level\)/);
    expect(() =>
      parsePlanText(
        JSON.stringify({
          project: "p",
          stack: "s",
          resources: [{ urn: "u", type: "t", name: "n", inputs: [] }],
        }),
        "p.json",
      ),
    ).toThrow(/p.json is not a resources file .* at resources.0.inputs/);
  });
});
