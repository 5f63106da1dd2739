/**
 * What the gRPC fakes of Google APIs share (fake Cloud Workstations, fake Cloud KMS, fake IAM Credentials):
 * the service definitions loaded from the protos the real client package ships (plus the google-gax
 * version that client depends on), so the fake cannot drift from the client's field names, enums and
 * wire format; unary handlers that answer a thrown FakeStatusError as that gRPC status; and an insecure
 * server on 127.0.0.1 whose stop lets in-flight calls finish but never hangs on a client left open.
 *
 * Test infrastructure and sandbox stand-ins: never point production at them.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const require = createRequire(import.meta.url);

/** A gRPC status with its message, as the real API answers it. */
export class FakeStatusError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = "FakeStatusError";
  }
}

// Google client packages and google-gax both resolve to `<root>/build/src/index.js`.
const packageRoot = (entry: string) => path.resolve(path.dirname(entry), "..", "..");

/** The proto include dirs of a Google client package: its own protos and those of its google-gax. */
export function clientProtoDirs(clientPackage: string): string[] {
  const clientRoot = packageRoot(require.resolve(clientPackage));
  // google-gax is the client's own dependency: resolve it from there so the protos match the client.
  const gaxRoot = packageRoot(require.resolve("google-gax", { paths: [clientRoot] }));
  return [path.join(clientRoot, "build", "protos"), path.join(gaxRoot, "build", "protos")];
}

/**
 * Loads `protoFiles` from the client package's protos and answers the services named by their full proto
 * names (`google.longrunning.Operations`), in that order. Field names are camelCase, int64 strings and
 * defaults filled, unless `options` says otherwise.
 */
export function loadClientServices(
  clientPackage: string,
  protoFiles: string[],
  serviceNames: string[],
  options: protoLoader.Options = {},
): grpc.ServiceDefinition[] {
  const definition = protoLoader.loadSync(protoFiles, {
    includeDirs: clientProtoDirs(clientPackage),
    keepCase: false,
    longs: String,
    defaults: true,
    ...options,
  });
  const loaded = grpc.loadPackageDefinition(definition);
  return serviceNames.map((name) => {
    const service = name
      .split(".")
      .reduce<unknown>((scope, part) => (scope as Record<string, unknown> | undefined)?.[part], loaded) as
      | grpc.ServiceClientConstructor
      | undefined;
    if (!service?.service)
      throw new Error(`no service ${name} in ${protoFiles.join(", ")} of ${clientPackage}`);
    return service.service;
  });
}

/** A request → response function; each names the request shape it reads (proto-loader decodes it). */
export type UnaryHandler = (request: never) => object;

/**
 * gRPC unary handlers around plain request → response functions: a thrown FakeStatusError answers its
 * status; anything else answers INTERNAL naming the fake and the method. `onCall` sees every call first.
 */
export function unaryHandlers(
  fakeName: string,
  handlers: Record<string, UnaryHandler>,
  onCall?: (method: string) => void,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    implementation[method] = (
      call: grpc.ServerUnaryCall<object, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      onCall?.(method);
      try {
        callback(null, handler(call.request as never));
      } catch (error) {
        if (error instanceof FakeStatusError) callback({ code: error.code, details: error.message });
        else
          callback({ code: grpc.status.INTERNAL, details: `${fakeName} ${method} failed: ${String(error)}` });
      }
    };
  }
  return implementation;
}

export interface GrpcFakeServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * Serves the services on 127.0.0.1:`port` (0: a free one), insecure. RPCs without a handler answer
 * UNIMPLEMENTED (grpc-js does that).
 */
export async function serveGrpc(
  fakeName: string,
  services: Array<[grpc.ServiceDefinition, grpc.UntypedServiceImplementation]>,
  port = 0,
): Promise<GrpcFakeServer> {
  const server = new grpc.Server();
  for (const [definition, implementation] of services) server.addService(definition, implementation);
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, actual) =>
      error
        ? reject(new Error(`${fakeName}: cannot listen on port ${port}: ${error.message}`))
        : resolve(actual),
    );
  });
  return {
    port: bound,
    async stop() {
      // Graceful first (in-flight calls finish); a client someone forgot to close must not hang the test run.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      server.forceShutdown();
    },
  };
}
