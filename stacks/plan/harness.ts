/**
 * Offline recording harness: runs Pulumi resource constructors under `pulumi.runtime.setMocks` and records
 * every registration (URN, type, name, parent, inputs, dependencies) the way the engine would receive it.
 * Used by the component tests and by `npm run plan`. The cloud side is FAKE (see mock-state.ts).
 *
 * The Pulumi runtime is a per-process singleton: call `startRecording` once per process (vitest runs each
 * test file in its own process) BEFORE importing or constructing any resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { fakeInvokeResult, fakeResourceState } from "./mock-state.js";

/** One resource as the engine would see it registered. */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** The parent's URN, or null for resources at the top of the stack. */
  parent: string | null;
  /** true for provider-managed resources, false for components. */
  custom: boolean;
  /** SDK input property names (camelCase) with values as serialized; secrets stay wrapped until masked. */
  inputs: Record<string, unknown>;
  /** URNs this resource depends on (explicit dependsOn plus those implied by its inputs), sorted. */
  dependencies: string[];
  /** Whether `protect` was set (e.g. the signing key). */
  protect: boolean;
  /** Provider reference (`<provider urn>::<id>`) for custom resources using an explicit provider. */
  provider: string | null;
  /** The `import` option: the id of an existing resource to adopt, or null. */
  importId: string | null;
  /** Whether `retainOnDelete` was set (left in the cloud when dropped from the stack). */
  retainOnDelete: boolean;
  /** The `ignoreChanges` property paths. */
  ignoreChanges: string[];
}

export interface Recording {
  readonly resources: RecordedResource[];
  /** Waits until no registration is in flight, then returns the resources recorded so far. */
  settle(): Promise<RecordedResource[]>;
  /** The resources of one type (token), in registration order. */
  ofType(type: string): RecordedResource[];
  /** The single resource with this type and name; throws with the known names when absent. */
  get(type: string, name: string): RecordedResource;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect?(): boolean;
  getImportid?(): string;
  getRetainondelete?(): boolean;
  getIgnorechangesList?(): string[];
  getProvider(): string;
  getObject(): unknown;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, resp: RegisterResponse | undefined) => void;

export interface RecordingOptions {
  project: string;
  stack: string;
  /** Plan runs as a preview (dry run); tests may run as an update. */
  preview?: boolean;
  /** Config values keyed `namespace:key` (structured values as JSON text). */
  config?: Record<string, string>;
  /** Config keys whose values are secrets. */
  secretKeys?: string[];
}

/** Installs the mocks and the recorder. Must run before any resource is constructed. */
export async function startRecording(options: RecordingOptions): Promise<Recording> {
  const resources: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => fakeResourceState(args.type, args.name, args.inputs as Record<string, unknown>),
      call: (args) => fakeInvokeResult(args.token, args.inputs as Record<string, unknown>),
    },
    options.project,
    options.stack,
    options.preview ?? false,
  );
  if (options.config) pulumi.runtime.setAllConfig(options.config, options.secretKeys);

  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: Callback): Promise<void>;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    original(req, (err, resp) => {
      if (!err && resp) resources.push(toRecord(req, resp.getUrn()));
      callback(err, resp);
    });

  const settle = async () => {
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    // Registrations can start more registrations (outputs resolving into new resources): wait until the
    // count is stable across a full drain of the RPC queue and a macrotask turn.
    let previous = -1;
    while (previous !== resources.length) {
      previous = resources.length;
      if (waitForRPCs) await waitForRPCs();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return resources;
  };
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const get = (type: string, name: string) => {
    const found = resources.find((r) => r.type === type && r.name === name);
    if (!found) {
      const names = ofType(type).map((r) => r.name);
      throw new Error(`no ${type} named "${name}" was registered (have: ${names.join(", ") || "none"})`);
    }
    return found;
  };
  return { resources, settle, ofType, get };
}

function toRecord(req: RegisterRequest, urn: string): RecordedResource {
  const deps = new Set(req.getDependenciesList());
  req.getPropertydependenciesMap().forEach((value) => {
    for (const u of value.getUrnsList()) deps.add(u);
  });
  const parent = req.getParent();
  return {
    urn,
    type: req.getType(),
    name: req.getName(),
    parent: parent ? parent : null,
    custom: req.getCustom(),
    inputs: pulumi.runtime.deserializeProperties(req.getObject() as never) as Record<string, unknown>,
    dependencies: [...deps].sort(),
    protect: req.getProtect?.() ?? false,
    provider: req.getProvider() || null,
    importId: req.getImportid?.() || null,
    retainOnDelete: req.getRetainondelete?.() ?? false,
    ignoreChanges: req.getIgnorechangesList?.() ?? [],
  };
}

/**
 * Resolves an Output in tests and in the plan. During a preview an unknown value never reaches `apply`,
 * so this reads the output's promise with unknowns allowed: unknowns come back as
 * `pulumi.runtime.unknownValue` instead of hanging.
 */
export async function resolveOutput<T>(output: pulumi.Output<T> | T): Promise<T> {
  if (!pulumi.Output.isInstance(output)) return output as T;
  const withUnknowns = (output as unknown as { promise(withUnknowns?: boolean): Promise<T> }).promise(true);
  return await withUnknowns;
}
