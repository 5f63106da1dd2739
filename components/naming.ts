/**
 * Naming rules shared by every component (pure, tested without mocks). Child resource names derive from
 * the component name so two instances never collide and the plan reads as a tree.
 */

/** Logical (Pulumi) name of a child: `<component>-<suffix>`. */
export function childName(component: string, suffix: string): string {
  return `${component}-${suffix}`;
}

/**
 * A GCP resource id (RFC 1035 label: lower case, digits, dashes, starts with a letter, at most `max`
 * characters). Over-long names are shortened deterministically with a hash suffix so ids stay unique.
 */
export function gcpResourceId(parts: string[], max = 63): string {
  const joined = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(joined))
    throw new Error(`resource id "${joined}" must start with a letter (from ${parts.join(", ")})`);
  if (joined.length <= max) return joined;
  const hash = fnv1a(joined).toString(36).slice(0, 6);
  return `${joined.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** A service-account id: 6–30 characters, same alphabet as resource ids. */
export function serviceAccountId(parts: string[]): string {
  const id = gcpResourceId(parts, 30);
  if (id.length < 6) throw new Error(`service account id "${id}" is shorter than 6 characters`);
  return id;
}

/** Labels every resource carries (GCP label values: lower case, ≤ 63 chars). */
export function standardLabels(component: string, environment: string): Record<string, string> {
  return {
    system: "coditect",
    component: gcpResourceId([component]),
    environment,
    "managed-by": "pulumi",
  };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
