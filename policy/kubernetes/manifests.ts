/**
 * Kubernetes manifests as plan resources. The stacks register them as `kubernetes:<group>/<version>:<Kind>`
 * resources whose inputs are the manifest (minus apiVersion/kind); YAML files under operator/deploy/,
 * billing/deploy/, examples/ and crds/ are turned into the same shape, so one evaluator and one set of
 * rules covers both.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import type { PlanResource } from "../plan.js";

/** `kubernetes:apps/v1:Deployment` → { apiVersion: "apps/v1", kind: "Deployment" }; undefined for others. */
export function kubernetesKind(type: string): { apiVersion: string; kind: string } | undefined {
  const match = /^kubernetes:([^:]+)\/([^:/]+):([A-Za-z0-9]+)$/.exec(type);
  if (!match) return undefined;
  const [, group, version, kind] = match;
  return { apiVersion: group === "core" ? version! : `${group}/${version}`, kind: kind! };
}

/** The Pulumi type token for a manifest's apiVersion and kind. */
export function typeToken(apiVersion: string, kind: string): string {
  const groupVersion = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
  return `kubernetes:${groupVersion}:${kind}`;
}

/**
 * A plan resource's inputs as a full manifest. apiVersion/kind come from the type token, which is what
 * Pulumi registers and sends, whatever the inputs say.
 */
export function manifestOf(resource: {
  type: string;
  props: Record<string, unknown>;
}): Record<string, unknown> {
  return { ...resource.props, ...(kubernetesKind(resource.type) ?? {}) };
}

/** Reads every YAML document in the files (or directories, recursively) as plan resources. */
export function loadManifestResources(paths: readonly string[], root: string): PlanResource[] {
  const files = paths.flatMap((path) => yamlFiles(path));
  return files.flatMap((file) => manifestsInFile(file, relative(root, file) || file));
}

function yamlFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return /\.ya?ml$/.test(path) ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => yamlFiles(join(path, entry)));
}

function manifestsInFile(file: string, shownPath: string): PlanResource[] {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  return documents.flatMap((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${shownPath} document ${index + 1} is not valid YAML: ${document.errors[0]!.message}`);
    }
    const manifest = document.toJS() as Record<string, unknown> | null;
    if (manifest === null || manifest === undefined) return [];
    if (typeof manifest.apiVersion !== "string" || typeof manifest.kind !== "string") {
      throw new Error(`${shownPath} document ${index + 1} has no apiVersion/kind`);
    }
    const metadata = (manifest.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    const name = String(metadata.name ?? `document-${index + 1}`);
    const namespaced = typeof metadata.namespace === "string" ? `${metadata.namespace}/` : "";
    const { apiVersion, kind, ...rest } = manifest;
    return [
      {
        urn: `file:${shownPath}#${kind}/${namespaced}${name}`,
        type: typeToken(apiVersion, kind),
        name,
        parent: null,
        inputs: { apiVersion, kind, ...rest },
        dependencies: [],
      },
    ];
  });
}
