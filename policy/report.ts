/** Renders an evaluation for people (text) or machines (JSON). Pure: returns the text to print. */
import type { Evaluation, Finding } from "./evaluate.js";

const ORDER = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 } as const;
const SEVERITY = { critical: 0, high: 1, medium: 2, low: 3 } as const;

function sorted(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      ORDER[a.enforcementLevel] - ORDER[b.enforcementLevel] ||
      SEVERITY[a.severity] - SEVERITY[b.severity] ||
      a.policy.localeCompare(b.policy) ||
      String(a.urn).localeCompare(String(b.urn)),
  );
}

/** One block per finding: level, severity, rule, resource, message, then the fix. */
export function renderText(evaluation: Evaluation, source: string): string {
  const lines = [`policy: ${source}: ${evaluation.resources} resources, ${evaluation.policiesRun} policies`];
  for (const finding of sorted(evaluation.findings)) {
    lines.push(
      `${finding.enforcementLevel.toUpperCase()} ${finding.severity} ${finding.policy} ${finding.urn ?? "(stack)"}`,
      `    ${finding.message}`,
      `    fix: ${finding.remediation}${finding.anchor ? ` [${finding.anchor}]` : ""}`,
    );
  }
  const mandatory = evaluation.findings.filter((f) => f.enforcementLevel === "mandatory").length;
  const advisory = evaluation.findings.length - mandatory;
  lines.push(
    `policy: ${mandatory} mandatory violation(s), ${advisory} advisory finding(s): ${evaluation.blocked ? "FAILED" : "passed"}`,
  );
  return `${lines.join("\n")}\n`;
}

/** The machine-readable report (stable field names; findings sorted like the text report). */
export function renderJson(evaluation: Evaluation, source: string): string {
  return `${JSON.stringify(
    {
      source,
      resources: evaluation.resources,
      policiesRun: evaluation.policiesRun,
      passed: !evaluation.blocked,
      findings: sorted(evaluation.findings).map((f) => ({
        rule: f.policy,
        enforcementLevel: f.enforcementLevel,
        severity: f.severity,
        resource: f.urn ?? null,
        resourceType: f.resourceType ?? null,
        message: f.message,
        remediation: f.remediation,
        anchor: f.anchor ?? null,
      })),
    },
    null,
    2,
  )}\n`;
}
