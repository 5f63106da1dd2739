/** The rule list as a Markdown table: printed by `npm run policy -- --list`, embedded in docs/policy.md. */
import type { CoditectPolicy } from "./types.js";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** One row per rule, in pack order: name, default level, severity, anchor, description. */
export function renderRuleTable(policies: readonly CoditectPolicy[]): string {
  const rows = policies.map(
    (p) =>
      `| \`${p.name}\` | ${p.enforcementLevel} | ${p.severity} | ${cell(p.anchor ?? "—")} | ${cell(p.description)} |`,
  );
  return ["| rule | default | severity | anchor | checks |", "|---|---|---|---|---|", ...rows].join("\n");
}
