/**
 * `npm run manifests`: the rendered stack (the very objects the rehearsal runs, rehearsal/render.ts) as YAML
 * files a GitOps tool (Argo CD, Flux, `kubectl apply -k`) applies, numbered in the order they must exist:
 * CRDs and namespaces before what lives in them. Pure: returns file names and contents (ADR 0138).
 *
 * Secrets are never written: the stack keeps them in Secret Manager (mounted through the
 * SecretProviderClass), render refuses a manifest holding one, and a `Secret` object is dropped here as well.
 * Values the stack leaves to a human and the offline render filled with a stand-in (image digests,
 * Stripe price ids: stacks/placeholders.ts) are listed at the top of the file holding them.
 */
import { stringify } from "yaml";
import { isStandIn } from "../stacks/placeholders.js";
import type { KubeManifest, RenderedStack } from "./render.js";

export interface ManifestFile {
  name: string;
  content: string;
}

const ORDER: [file: string, group: keyof Omit<RenderedStack, "stack" | "workstationEnv">][] = [
  ["00-crds.yaml", "crds"],
  ["01-namespaces.yaml", "namespaces"],
  ["02-serviceaccounts.yaml", "serviceAccounts"],
  ["03-rbac.yaml", "rbac"],
  ["04-configmaps.yaml", "configMaps"],
  ["05-secretproviderclasses.yaml", "secretProviderClasses"],
  ["06-deployments.yaml", "deployments"],
  ["07-services.yaml", "services"],
  ["08-ingresses.yaml", "ingresses"],
  ["09-other.yaml", "other"],
];

export interface StandInUse {
  object: string;
  path: string;
  value: string;
}

function describeObject(m: KubeManifest): string {
  return `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata.name}`;
}

/** Every string in `manifest` that is an offline stand-in, with where it sits. */
export function standInsIn(manifest: KubeManifest): StandInUse[] {
  const found: StandInUse[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === "string" && isStandIn(value)) {
      found.push({ object: describeObject(manifest), path, value });
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, `${path}[${i}]`);
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(manifest, "");
  return found;
}

/** The files for `rendered`, in apply order, plus a kustomization.yaml naming them. */
export function manifestFiles(rendered: RenderedStack): ManifestFile[] {
  const files: ManifestFile[] = [];
  for (const [name, group] of ORDER) {
    const objects = (rendered[group] as KubeManifest[]).filter((m) => m.kind !== "Secret");
    if (objects.length === 0) continue;
    const standIns = objects.flatMap(standInsIn);
    const header = [
      `# Rendered from stack "${rendered.stack}" by \`npm run manifests\`: the objects \`pulumi up\` declares`,
      "# (and `npm run rehearse` runs). Regenerate rather than edit. Secrets are not here: they live in",
      "# Secret Manager and reach the pods through the SecretProviderClass.",
      ...(standIns.length > 0
        ? [
            "# OFFLINE STAND-INS — the stack leaves these to a human; set them in Pulumi.<stack>.yaml and",
            "# regenerate before applying (docs/operations.md):",
            ...standIns.map((s) => `#   ${s.object} ${s.path} = ${s.value}`),
          ]
        : []),
    ];
    const body = objects.map((m) => stringify(m, { lineWidth: 0 })).join("---\n");
    files.push({ name, content: `${header.join("\n")}\n${body}` });
  }
  const kustomization = stringify({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: files.map((f) => f.name),
  });
  files.push({
    name: "kustomization.yaml",
    content: `# Lets \`kubectl apply -k\`, Flux and Argo CD apply the files above in order.\n${kustomization}`,
  });
  return files;
}
