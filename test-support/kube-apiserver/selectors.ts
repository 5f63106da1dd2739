/**
 * Label and field selectors as kube-apiserver parses them (k8s.io/apimachinery/pkg/labels and /fields).
 * Label selectors support equality (`a=b`, `a==b`, `a!=b`), sets (`a in (x,y)`, `a notin (x)`), existence
 * (`a`, `!a`) and the numeric `a>1` / `a<1`. Parse errors become 400 BadRequest like the real server.
 */
import { badRequest } from "./errors.js";

export type LabelRequirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: Set<string> }
  | { key: string; op: "exists" | "!exists" }
  | { key: string; op: ">" | "<"; value: number };

export type LabelSelector = LabelRequirement[];

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key) || key.length > 316) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  }
  return key;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of input) {
    if (ch === "(") depth += 1;
    if (ch === ")") depth -= 1;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

export function parseLabelSelector(input: string | undefined): LabelSelector {
  if (!input || input.trim() === "") return [];
  const requirements: LabelSelector = [];
  for (const raw of splitTopLevel(input)) {
    const part = raw.trim();
    if (part === "")
      throw badRequest(`unable to parse requirement: found '', expected: identifier in selector "${input}"`);
    const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (setMatch) {
      const values = setMatch[3]!.split(",").map((v) => v.trim());
      requirements.push({
        key: checkKey(setMatch[1]!, input),
        op: setMatch[2] as "in" | "notin",
        values: new Set(values.filter((v) => v !== "")),
      });
      continue;
    }
    const cmp = /^([^!=<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(part);
    if (cmp) {
      const key = checkKey(cmp[1]!, input);
      const op = cmp[2]!;
      const value = cmp[3]!.trim();
      if (op === ">" || op === "<") {
        const n = Number(value);
        if (!/^-?\d+$/.test(value)) {
          throw badRequest(
            `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer in selector "${input}"`,
          );
        }
        requirements.push({ key, op, value: n });
      } else {
        requirements.push({ key, op: op === "!=" ? "!=" : "=", value });
      }
      continue;
    }
    if (part.startsWith("!")) {
      requirements.push({ key: checkKey(part.slice(1).trim(), input), op: "!exists" });
      continue;
    }
    requirements.push({ key: checkKey(part, input), op: "exists" });
  }
  return requirements;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const req of selector) {
    const value = labels?.[req.key];
    switch (req.op) {
      case "=":
        if (value !== req.value) return false;
        break;
      case "!=":
        if (value === req.value) return false;
        break;
      case "in":
        if (value === undefined || !req.values.has(value)) return false;
        break;
      case "notin":
        if (value !== undefined && req.values.has(value)) return false;
        break;
      case "exists":
        if (value === undefined) return false;
        break;
      case "!exists":
        if (value !== undefined) return false;
        break;
      case ">":
      case "<": {
        if (value === undefined || !/^-?\d+$/.test(value)) return false;
        const n = Number(value);
        if (req.op === ">" ? !(n > req.value) : !(n < req.value)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

/** Parses `a=b,c!=d`; `supported` lists the field labels this resource allows (others → 400). */
export function parseFieldSelector(
  input: string | undefined,
  supported: Iterable<string>,
): FieldRequirement[] {
  if (!input || input.trim() === "") return [];
  const allowed = new Set(supported);
  const requirements: FieldRequirement[] = [];
  for (const raw of input.split(",")) {
    const part = raw.trim();
    const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!allowed.has(field)) throw badRequest(`field label not supported: ${field}`);
    requirements.push({ field, op: m[2] === "!=" ? "!=" : "=", value: m[3]!.trim() });
  }
  return requirements;
}

export function matchesFields(requirements: FieldRequirement[], read: (field: string) => string): boolean {
  for (const req of requirements) {
    const actual = read(req.field);
    if (req.op === "=" ? actual !== req.value : actual === req.value) return false;
  }
  return true;
}
