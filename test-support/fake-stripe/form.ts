/**
 * Test infrastructure (fake Stripe): decodes Stripe's form encoding (`line_items[0][price]=p`,
 * `expand[]=x`) into nested objects and arrays, as Stripe's API does.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

function splitKey(key: string): string[] {
  const first = key.indexOf("[");
  if (first === -1) return [key];
  const parts = [key.slice(0, first)];
  for (const match of key.slice(first).matchAll(/\[([^\]]*)\]/g)) parts.push(match[1] ?? "");
  return parts;
}

function normaliseArrays(value: FormValue): FormValue {
  if (typeof value === "string" || Array.isArray(value)) {
    return Array.isArray(value) ? value.map(normaliseArrays) : value;
  }
  const keys = Object.keys(value);
  const entries = Object.fromEntries(keys.map((k) => [k, normaliseArrays(value[k]!)]));
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => entries[k]!);
  }
  return entries;
}

export function parseForm(body: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = splitKey(rawKey);
    let node: Record<string, FormValue> = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      if (part === "") {
        // `expand[]=a&expand[]=b`: append with a numeric key, turned into an array below.
        const index = String(Object.keys(node).length);
        if (last) node[index] = value;
        else {
          const child: Record<string, FormValue> = {};
          node[index] = child;
          node = child;
        }
        return;
      }
      if (last) {
        node[part] = value;
        return;
      }
      const next = parts[i + 1];
      if (next === "" && typeof node[part] !== "object") node[part] = {};
      if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
      node = node[part] as Record<string, FormValue>;
    });
  }
  return normaliseArrays(root) as Record<string, FormValue>;
}
