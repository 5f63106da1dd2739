/**
 * The small JSONPath subset CRD printer columns use: `.a.b`, `['a']`, `[0]`, `[*]` and filters
 * `[?(@.type=="Ready")]` (==, !=; string, number or boolean literals). Returns every match.
 */

type Step =
  | { kind: "field"; name: string }
  | { kind: "index"; index: number }
  | { kind: "wildcard" }
  | { kind: "filter"; path: string[]; op: "==" | "!="; value: unknown };

export function parseJsonPath(expression: string): Step[] {
  let src = expression.trim();
  if (src.startsWith("{") && src.endsWith("}")) src = src.slice(1, -1);
  if (src.startsWith("$")) src = src.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === ".") {
      const m = /^\.([A-Za-z0-9_\-$]+|\*)/.exec(src.slice(i));
      if (!m) throw new Error(`invalid JSONPath ${JSON.stringify(expression)} at offset ${i}`);
      steps.push(m[1] === "*" ? { kind: "wildcard" } : { kind: "field", name: m[1]! });
      i += m[0].length;
    } else if (ch === "[") {
      const end = findClosingBracket(src, i);
      const inner = src.slice(i + 1, end).trim();
      steps.push(parseBracket(inner, expression));
      i = end + 1;
    } else {
      throw new Error(
        `invalid JSONPath ${JSON.stringify(expression)}: unexpected ${JSON.stringify(ch)} at offset ${i}`,
      );
    }
  }
  return steps;
}

function findClosingBracket(src: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let j = open; j < src.length; j++) {
    const c = src[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "[") {
      depth += 1;
    } else if (c === "]") {
      depth -= 1;
      if (depth === 0) return j;
    }
  }
  throw new Error(`invalid JSONPath: unclosed [ in ${JSON.stringify(src)}`);
}

function parseBracket(inner: string, expression: string): Step {
  if (inner === "*") return { kind: "wildcard" };
  if (/^-?\d+$/.test(inner)) return { kind: "index", index: Number(inner) };
  const quoted = /^['"](.*)['"]$/.exec(inner);
  if (quoted) return { kind: "field", name: quoted[1]! };
  const filter = /^\?\(\s*@((?:\.[A-Za-z0-9_\-$]+)+)\s*(==|!=)\s*(.+?)\s*\)$/.exec(inner);
  if (filter) {
    const literal = filter[3]!;
    let value: unknown;
    if (/^['"].*['"]$/.test(literal)) value = literal.slice(1, -1);
    else if (literal === "true" || literal === "false") value = literal === "true";
    else if (!Number.isNaN(Number(literal))) value = Number(literal);
    else throw new Error(`invalid JSONPath filter literal ${literal} in ${JSON.stringify(expression)}`);
    return { kind: "filter", path: filter[1]!.slice(1).split("."), op: filter[2] as "==" | "!=", value };
  }
  throw new Error(`unsupported JSONPath bracket [${inner}] in ${JSON.stringify(expression)}`);
}

function child(value: unknown, name: string): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return (value as Record<string, unknown>)[name];
  }
  return undefined;
}

/** All values the path selects in `root` (empty when nothing matches). */
export function evaluateJsonPath(steps: Step[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      switch (step.kind) {
        case "field": {
          const v = child(value, step.name);
          if (v !== undefined) next.push(v);
          break;
        }
        case "index":
          if (Array.isArray(value)) {
            const v = value[step.index < 0 ? value.length + step.index : step.index];
            if (v !== undefined) next.push(v);
          }
          break;
        case "wildcard":
          if (Array.isArray(value)) next.push(...value);
          else if (value && typeof value === "object") next.push(...Object.values(value));
          break;
        case "filter":
          if (Array.isArray(value)) {
            for (const item of value) {
              let probe: unknown = item;
              for (const p of step.path) probe = child(probe, p);
              if ((probe === step.value) === (step.op === "==")) next.push(item);
            }
          }
          break;
      }
    }
    current = next;
  }
  return current;
}
