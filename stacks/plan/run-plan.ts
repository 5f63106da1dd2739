/**
 * Runs the Pulumi program offline for one stack: reads `Pulumi.<stack>.yaml`, installs the recording
 * mocks, imports the entry point (stacks/index.ts) and returns the plan document plus the stack outputs.
 * One run per process (the Pulumi runtime is a singleton).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import { PROJECT_NAME } from "../config.js";
import { type PlanDocument, toPlanDocument } from "./format.js";
import { resolveOutput, startRecording } from "./harness.js";
import { REPO_ROOT, readStackFile } from "./stack-file.js";

export { REPO_ROOT };

export interface PlanResult {
  document: PlanDocument;
  outputs: Record<string, unknown>;
}

export async function runPlan(stack: string, dir = REPO_ROOT): Promise<PlanResult> {
  const { config, secretKeys } = readStackFile(dir, stack);
  const recording = await startRecording({ project: PROJECT_NAME, stack, preview: true, config, secretKeys });
  const entry = pathToFileURL(path.join(REPO_ROOT, "stacks/index.ts")).href;
  const program = (await import(entry)) as Record<string, pulumi.Output<unknown>>;
  const outputs: Record<string, unknown> = {};
  for (const [key, output] of Object.entries(program)) outputs[key] = await resolveOutput(output);
  const resources = await recording.settle();
  return { document: toPlanDocument(PROJECT_NAME, stack, resources), outputs };
}
