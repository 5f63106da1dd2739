/**
 * Step 1 of the rehearsal: run the Pulumi program for the stack offline and render its manifests.
 * runPlan can run once per process (the Pulumi runtime is a singleton): render once, rehearse many times.
 */
import { runPlan } from "../stacks/plan/run-plan.js";
import { type RenderedStack, renderStack } from "./render.js";
import type { StepResult } from "./run.js";

export async function renderForRehearsal(
  stack: string,
  log: (line: string) => void = () => {},
): Promise<{ rendered: RenderedStack; step: StepResult; standInsUsed: string[] }> {
  const started = performance.now();
  log(`▶ render: run the Pulumi program for "${stack}" offline and take the manifests`);
  // preview: false resolves every output as an update would (C2): the manifests hold no preview unknowns.
  const { document, standInsUsed } = await runPlan(stack, undefined, { preview: false });
  if (standInsUsed.length > 0) {
    log(
      `  offline stand-ins for values a human fills in (stacks/placeholders.ts): ${standInsUsed.join(", ")}`,
    );
  }
  const rendered = renderStack(document);
  const ms = Math.round(performance.now() - started);
  log(
    `  ✓ render (${ms} ms): ${rendered.crds.length} CRDs, ${rendered.namespaces.length} namespaces, ${rendered.serviceAccounts.length} ServiceAccounts, ${rendered.rbac.length} RBAC objects, ${rendered.deployments.length} Deployments, ${Object.keys(rendered.workstationEnv).length} WorkstationConfigs`,
  );
  return { rendered, step: { name: `render stack "${stack}"`, ms, ok: true }, standInsUsed };
}
