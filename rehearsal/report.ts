/** The rehearsal's closing summary: steps with times, every failure with its cause, PASS or FAIL. Pure. */
import type { RehearsalResult } from "./run.js";

export function formatResult(result: RehearsalResult, totalMs: number): string {
  const lines = ["", "Steps:"];
  for (const s of result.steps) lines.push(`  ${s.ok ? "✓" : "✗"} ${String(s.ms).padStart(6)} ms  ${s.name}`);
  lines.push(`  total ${totalMs} ms`);
  if (result.failures.length > 0) {
    lines.push("", `Failures (${result.failures.length}):`);
    for (const f of result.failures) lines.push(`  - ${f}`);
  }
  if (result.incomplete.length > 0) {
    lines.push("", "Not proven by this run:");
    for (const i of result.incomplete) lines.push(`  - ${i}`);
  }
  lines.push("", result.ok ? "PASS" : result.failures.length > 0 ? "FAIL" : "FAIL (incomplete: see above)");
  return lines.join("\n");
}
