/**
 * Turns a rendered Deployment into the process the pod runner starts: the image's entry command
 * (`node <bundle>` in WORKDIR /app), the container's env as rendered (fieldRef from a made-up pod), every
 * volumeMount at its mountPath with the volume's files, the projected ServiceAccount token, and the
 * runAsUser/runAsGroup. Pure: every value comes in through PodContext. Overrides (rehearsal/overrides.ts)
 * are applied here and nowhere else.
 */
import { basename, dirname } from "node:path";
import type { PodMount, PodProcess } from "../test-support/pod-runner/index.js";
import type { EnvOverride, ServiceName } from "./overrides.js";
import {
  type Container,
  type Deployment,
  type KubeManifest,
  RenderError,
  type RenderedStack,
  secretProviderPaths,
} from "./render.js";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
export const PROBE_MOUNT = "/rehearsal";
/** Where the distroless nodejs image keeps node. */
export const NODE_DIR = "/nodejs/bin";
/** distroless/nodejs24-debian12:nonroot's image config. */
export const IMAGE_RUNTIME_ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/home/nonroot",
};

export interface PodContext {
  service: ServiceName;
  deployment: Deployment;
  rendered: RenderedStack;
  podName: string;
  /** SecretProviderClass name → file name → content (generated secrets). */
  secretFiles: Record<string, Record<string, string>>;
  serviceAccountToken: string;
  kubeApi: { host: string; port: number; caPem: string };
  /** The Dockerfile's ENV lines (e.g. NODE_ENV=production). */
  imageEnv: Record<string, string>;
  overrides: EnvOverride[];
  image: { nodeBinary: string; bundleDir: string; bundleFile: string; nodeModules: string };
  /** Host directory holding env-probe.mjs; the probe writes env-reads.jsonl there. */
  probeDir?: string;
}

export interface PodPlan {
  pod: PodProcess;
  container: Container;
  /** Names the manifest sets. */
  manifestEnv: string[];
  /** Names the image and the kubelet set. */
  runtimeEnv: string[];
  /** Names only the overrides set. */
  overrideEnv: string[];
}

function fieldRefValue(path: string, ctx: PodContext): string {
  const ns = ctx.deployment.metadata.namespace ?? "default";
  const values: Record<string, string> = {
    "metadata.name": ctx.podName,
    "metadata.namespace": ns,
    "spec.serviceAccountName": ctx.deployment.spec.template.spec.serviceAccountName ?? "default",
    "status.podIP": "127.0.0.1",
    "spec.nodeName": "rehearsal-node",
  };
  const value = values[path];
  if (value === undefined) throw new RenderError(`${ctx.service}: unsupported fieldRef "${path}"`);
  return value;
}

function volumeFiles(ctx: PodContext, volumeName: string, mountPath: string): PodMount {
  const spec = ctx.deployment.spec.template.spec;
  const ns = ctx.deployment.metadata.namespace;
  const volume = spec.volumes?.find((v) => v.name === volumeName);
  if (!volume)
    throw new RenderError(
      `${ctx.service}: volumeMount "${volumeName}" at ${mountPath} has no volume of that name`,
    );
  if (volume.emptyDir) return { kind: "tmpfs", path: mountPath, sizeLimit: volume.emptyDir.sizeLimit };
  if (volume.configMap) {
    const cm = ctx.rendered.configMaps.find(
      (c) => c.metadata.name === volume.configMap!.name && c.metadata.namespace === ns,
    );
    if (!cm)
      throw new RenderError(
        `${ctx.service}: volume "${volumeName}" needs ConfigMap ${ns}/${volume.configMap.name}, which is not rendered`,
      );
    const data = (cm as KubeManifest & { data?: Record<string, string> }).data ?? {};
    const files = volume.configMap.items
      ? Object.fromEntries(volume.configMap.items.map((i) => [i.path, data[i.key] ?? ""]))
      : { ...data };
    return { kind: "files", path: mountPath, files };
  }
  if (volume.csi) {
    const spcName = volume.csi.volumeAttributes?.secretProviderClass;
    const spc = ctx.rendered.secretProviderClasses.find(
      (s) => s.metadata.name === spcName && s.metadata.namespace === ns,
    );
    if (!spc)
      throw new RenderError(
        `${ctx.service}: CSI volume "${volumeName}" names SecretProviderClass ${ns}/${spcName}, which is not rendered`,
      );
    const generated = ctx.secretFiles[spc.metadata.name] ?? {};
    const files: Record<string, string> = {};
    for (const { path, resourceName } of secretProviderPaths(spc)) {
      const value = generated[path];
      if (value === undefined)
        throw new RenderError(
          `no generated value for ${resourceName} (file "${path}" of SecretProviderClass ${spc.metadata.name})`,
        );
      files[path] = value;
    }
    return { kind: "files", path: mountPath, files };
  }
  throw new RenderError(
    `${ctx.service}: volume "${volumeName}" is of a kind the rehearsal cannot mount (${Object.keys(volume).join(", ")})`,
  );
}

/**
 * `initContainer`: plan that init container instead of the main one. `args` replace the image's CMD (the
 * bundle file), as in Kubernetes; `command` (the image's ENTRYPOINT, node) may not be replaced.
 */
export function planPod(ctx: PodContext, initContainer?: string): PodPlan {
  const spec = ctx.deployment.spec.template.spec;
  if (spec.containers.length !== 1)
    throw new RenderError(`${ctx.service}: expected one container, found ${spec.containers.length}`);
  const main = spec.containers[0]!;
  const container =
    initContainer === undefined ? main : spec.initContainers?.find((c) => c.name === initContainer);
  if (!container) throw new RenderError(`${ctx.service}: no init container "${initContainer}"`);
  if (container.command) {
    throw new RenderError(
      `${ctx.service}: container ${container.name} overrides the image's entrypoint (command); the rehearsal runs node`,
    );
  }
  if (container.args && !container.args[0]?.endsWith(".mjs")) {
    throw new RenderError(
      `${ctx.service}: container ${container.name}'s args must start with the bundle the image's node runs (got ${container.args[0]})`,
    );
  }
  const ns = ctx.deployment.metadata.namespace ?? "default";
  const env: Record<string, string> = { ...IMAGE_RUNTIME_ENV, ...ctx.imageEnv, HOSTNAME: ctx.podName };
  // What the kubelet adds for the API server's Service (the in-cluster client config reads these two).
  env.KUBERNETES_SERVICE_HOST = ctx.kubeApi.host;
  env.KUBERNETES_SERVICE_PORT = String(ctx.kubeApi.port);
  const runtimeEnv = Object.keys(env);
  const manifestEnv: string[] = [];
  for (const e of container.env ?? []) {
    manifestEnv.push(e.name);
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) env[e.name] = fieldRefValue(e.valueFrom.fieldRef.fieldPath, ctx);
    else
      throw new RenderError(`${ctx.service}: env ${e.name} uses a valueFrom the rehearsal does not resolve`);
  }
  const overrideEnv: string[] = [];
  for (const o of ctx.overrides.filter(
    (x) => x.target === ctx.service && (x.container ?? main.name) === container.name,
  )) {
    if (!(o.variable in env)) overrideEnv.push(o.variable);
    env[o.variable] = o.value;
  }

  const mounts: PodMount[] = [
    { kind: "bind", path: "/app", source: ctx.image.bundleDir, readOnly: true },
    { kind: "bind", path: "/app/node_modules", source: ctx.image.nodeModules, readOnly: true },
  ];
  for (const m of container.volumeMounts ?? []) {
    if (m.subPath)
      throw new RenderError(
        `${ctx.service}: volumeMount ${m.name} uses subPath, which the rehearsal does not support`,
      );
    mounts.push(volumeFiles(ctx, m.name, m.mountPath));
  }
  if (spec.automountServiceAccountToken !== false) {
    mounts.push({
      kind: "files",
      path: SERVICE_ACCOUNT_DIR,
      files: { token: ctx.serviceAccountToken, "ca.crt": ctx.kubeApi.caPem, namespace: ns },
    });
  }
  // The image's node sits at /nodejs/bin/node (distroless nodejs); ours is bind-mounted there, so the
  // process never depends on a host path an emptyDir could hide (a checkout under /tmp, say).
  mounts.push({ kind: "bind", path: NODE_DIR, source: dirname(ctx.image.nodeBinary), readOnly: true });
  const argv = [`${NODE_DIR}/${basename(ctx.image.nodeBinary)}`];
  if (ctx.probeDir) {
    mounts.push({ kind: "bind", path: PROBE_MOUNT, source: ctx.probeDir });
    argv.push("--import", `${PROBE_MOUNT}/env-probe.mjs`);
    env.REHEARSAL_ENV_PROBE_OUT = `${PROBE_MOUNT}/env-reads.jsonl`;
  }
  argv.push(...(container.args ?? [ctx.image.bundleFile]));
  const uid = container.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
  const gid = container.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup ?? uid;
  return {
    pod: {
      name: initContainer === undefined ? ctx.service : `${ctx.service}-${initContainer}`,
      argv,
      workingDir: "/app",
      env,
      mounts,
      ...(uid !== undefined ? { user: { uid, gid: gid ?? uid } } : {}),
      readOnlyRootFilesystem: container.securityContext?.readOnlyRootFilesystem === true,
    },
    container,
    manifestEnv,
    runtimeEnv,
    overrideEnv,
  };
}

/** The local port a rendered probe/container port is reached on. */
export function localPort(
  renderedPort: number | string,
  container: Container,
  remap: Record<number, number>,
): number {
  const numeric =
    typeof renderedPort === "number"
      ? renderedPort
      : container.ports?.find((p) => p.name === renderedPort)?.containerPort;
  if (numeric === undefined)
    throw new RenderError(`${container.name}: probe port "${renderedPort}" names no container port`);
  return remap[numeric] ?? numeric;
}
