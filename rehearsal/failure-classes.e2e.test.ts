/**
 * One test per failure class the rehearsal must name (docs/rehearsal.md, "Reading a failure"): each mutates
 * one thing in the rendered manifests and runs the affected service as rendered.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../stacks/plan/stack-file.js";
import { renderForRehearsal } from "./plan.js";
import { type Deployment, deploymentNamed, type RenderedStack } from "./render.js";
import { rehearse } from "./run.js";

let rendered: RenderedStack;
beforeAll(async () => {
  ({ rendered } = await renderForRehearsal("prod"));
}, 60_000);

function variant(service: string, mutate: (d: Deployment) => void): RenderedStack {
  const copy = structuredClone(rendered);
  mutate(deploymentNamed(copy, service));
  return copy;
}
const containerOf = (d: Deployment) => d.spec.template.spec.containers[0]!;
const run = (r: RenderedStack, service: "billing" | "operator") =>
  rehearse(r, {
    root: REPO_ROOT,
    services: [service],
    journey: false,
    staticChecks: false,
    readyTimeoutMs: 20_000,
  });

describe("the operator as rendered", () => {
  it("starts in its mount namespace as uid 65532, passes its probes and reads exactly the env it is given", async () => {
    const result = await run(structuredClone(rendered), "operator");
    expect(result.failures).toEqual([]);
    expect(result.steps.map((s) => [s.name, s.ok])).toContainEqual([
      "operator readiness and liveness probes as rendered",
      true,
    ]);
  }, 120_000);
});

describe("the rehearsal names the cause", () => {
  it("when the code reads a variable the manifest does not set", async () => {
    const r = variant("operator", (d) => {
      containerOf(d).env = containerOf(d).env!.filter((e) => e.name !== "LOG_LEVEL");
    });
    const result = await run(r, "operator");
    expect(result.ok).toBe(false);
    expect(result.failures.join("\n")).toMatch(
      /operator reads LOG_LEVEL \(.+\) but its Deployment does not set it/,
    );
  }, 120_000);

  it("when the manifest sets a variable the code never reads", async () => {
    const r = variant("operator", (d) => {
      containerOf(d).env!.push({ name: "OPERATOR_LEADER_ELECTON", value: "true" });
    });
    const result = await run(r, "operator");
    expect(result.failures.join("\n")).toMatch(
      /operator's Deployment sets OPERATOR_LEADER_ELECTON but the code never reads it/,
    );
  }, 120_000);

  it("when a mounted file is missing", async () => {
    const r = variant("billing", (d) => {
      containerOf(d).volumeMounts = containerOf(d).volumeMounts!.filter((m) => m.name !== "secrets");
    });
    const result = await run(r, "billing");
    expect(result.failures.join("\n")).toMatch(
      /billing: \/etc\/coditect\/secrets\/[a-z-]+ is missing \(ENOENT\): no rendered volume mounts it/,
    );
  }, 120_000);

  it("when a probe fails", async () => {
    const r = variant("operator", (d) => {
      containerOf(d).readinessProbe!.httpGet.path = "/ready-typo";
    });
    const result = await run(r, "operator");
    expect(result.failures.join("\n")).toMatch(
      /operator readinessProbe GET \/ready-typo on port 8081 .*HTTP 404/s,
    );
  }, 120_000);
});
