/**
 * Runs the Pulumi program offline for one stack: reads `Pulumi.<stack>.yaml`, applies the offline
 * stand-ins for what a human has not filled in yet plus the caller's overrides (contract C2), installs the
 * recording mocks, imports the entry point (stacks/index.ts) and returns the plan document plus the stack
 * outputs. One run per process (the Pulumi runtime is a singleton).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import { PROJECT_NAME } from "../config.js";
import { acceptOfflineStandIns } from "../placeholders.js";
import { type PlanDocument, toPlanDocument } from "./format.js";
import { resolveOutput, startRecording } from "./harness.js";
import { applyOverrides, resolveRegistryToken, standInsFor } from "./overrides.js";
import { REPO_ROOT, readStackFile } from "./stack-file.js";

export { OFFLINE_STAND_INS } from "../placeholders.js";
export { REPO_ROOT };

export interface PlanOptions {
  /**
   * Dotted config paths under the project namespace (`controlPlane.billingImage`) set on top of the stack
   * file before validation. Image values may start with `<internal-registry>` (see OFFLINE_STAND_INS).
   */
  overrides?: Record<string, unknown>;
  /** Fill keys the stack leaves unset with OFFLINE_STAND_INS (default true). */
  standIns?: boolean;
  /** Run as a preview (default true); false resolves every output as an update would (fake values). */
  preview?: boolean;
}

export interface PlanResult {
  document: PlanDocument;
  outputs: Record<string, unknown>;
  /** Dotted keys planned with an offline stand-in because the stack leaves them to a human. */
  standInsUsed: string[];
}

/** The flat config the program will see for `stack`, and which stand-ins went into it. */
export function planConfig(
  stack: string,
  dir = REPO_ROOT,
  options: PlanOptions = {},
): { config: Record<string, string>; secretKeys: string[]; standInsUsed: string[] } {
  const file = readStackFile(dir, stack);
  const standIns = options.standIns === false ? {} : standInsFor(file.config);
  const overrides = resolveRegistryToken(file.config, options.overrides ?? {});
  const config = applyOverrides(applyOverrides(file.config, standIns), overrides);
  const standInsUsed = Object.keys(standIns).filter((k) => !(k in overrides));
  return { config, secretKeys: file.secretKeys, standInsUsed };
}

export async function runPlan(
  stack: string,
  dir = REPO_ROOT,
  options: PlanOptions = {},
): Promise<PlanResult> {
  const { config, secretKeys, standInsUsed } = planConfig(stack, dir, options);
  // Offline only: the values are fake anyway, and a real `pulumi up` never runs this module.
  acceptOfflineStandIns(true);
  const recording = await startRecording({
    project: PROJECT_NAME,
    stack,
    preview: options.preview ?? true,
    config,
    secretKeys,
  });
  const entry = pathToFileURL(path.join(REPO_ROOT, "stacks/index.ts")).href;
  const program = (await import(entry)) as Record<string, pulumi.Output<unknown>>;
  const outputs: Record<string, unknown> = {};
  for (const [key, output] of Object.entries(program)) outputs[key] = await resolveOutput(output);
  const resources = await recording.settle();
  return { document: toPlanDocument(PROJECT_NAME, stack, resources), outputs, standInsUsed };
}
