/**
 * The fake Cloud Workstations API's state and its RPC handlers, independent of the transport: each
 * handler takes the decoded request (proto-loader objects, camelCase) and returns the response object
 * or throws a FakeStatusError. `index.ts` puts these behind gRPC.
 *
 * Test infrastructure: not used in production.
 */
import { status } from "@grpc/grpc-js";
import type { Clock } from "../../lib/clock.js";
import { FleetStore } from "./fleet.js";
import { IamPolicies } from "./iam.js";
import { FakeStatusError, isName, requireName } from "./names.js";
import { OperationRegistry } from "./operations.js";
import { WorkstationStore } from "./workstation-store.js";

// Requests arrive as loosely typed proto-loader objects; each handler reads the fields it needs.
// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf request
type Request = any;
export type Handler = (request: Request) => object;

export class FakeWorkstationsBackend {
  readonly operations: OperationRegistry;
  readonly clusters: FleetStore;
  readonly configs: FleetStore;
  readonly workstations: WorkstationStore;
  readonly iam: IamPolicies;

  constructor(clock: Clock, pollsToComplete: () => number) {
    this.operations = new OperationRegistry(clock, pollsToComplete);
    this.clusters = new FleetStore("cluster", clock, this.operations, {
      parentExists: () => true,
      children: (name) => this.configs.names().filter((c) => c.startsWith(`${name}/`)),
      removeChildren: (name) => this.configs.removeUnder(name),
    });
    this.configs = new FleetStore("config", clock, this.operations, {
      parentExists: (cluster) => this.clusters.has(cluster),
      children: (name) => this.workstations.namesUnder(name),
      removeChildren: (name) => this.workstations.removeUnder(name),
    });
    this.workstations = new WorkstationStore(
      clock,
      this.operations,
      (config) => this.configs.has(config),
      (name) => this.iam.forget(name),
    );
    this.iam = new IamPolicies((resource) =>
      isName("workstation", resource) ? this.workstations.has(resource) : this.configs.has(resource),
    );
  }

  /** Handlers of google.cloud.workstations.v1.Workstations, keyed by RPC name. */
  workstationsService(): Record<string, Handler> {
    const list = (items: { page: object[]; nextPageToken: string }, field: string) => ({
      [field]: items.page,
      nextPageToken: items.nextPageToken,
      unreachable: [],
    });
    return {
      GetWorkstationCluster: (r) => this.clusters.get(r.name),
      ListWorkstationClusters: (r) => list(this.clusters.list(r.parent, r), "workstationClusters"),
      CreateWorkstationCluster: (r) =>
        this.clusters.create(r.parent, r.workstationClusterId, r.workstationCluster ?? {}, r.validateOnly),
      UpdateWorkstationCluster: (r) => this.clusters.update(r.workstationCluster ?? {}, r.updateMask?.paths),
      DeleteWorkstationCluster: (r) => this.clusters.delete(r.name, r.etag, r.force),
      GetWorkstationConfig: (r) => this.configs.get(r.name),
      ListWorkstationConfigs: (r) => list(this.configs.list(r.parent, r), "workstationConfigs"),
      ListUsableWorkstationConfigs: (r) => list(this.configs.list(r.parent, r), "workstationConfigs"),
      CreateWorkstationConfig: (r) =>
        this.configs.create(r.parent, r.workstationConfigId, r.workstationConfig ?? {}, r.validateOnly),
      UpdateWorkstationConfig: (r) => this.configs.update(r.workstationConfig ?? {}, r.updateMask?.paths),
      DeleteWorkstationConfig: (r) => this.configs.delete(r.name, r.etag, r.force),
      GetWorkstation: (r) => this.workstations.get(r.name),
      ListWorkstations: (r) => list(this.workstations.list(r.parent, r), "workstations"),
      ListUsableWorkstations: (r) => list(this.workstations.list(r.parent, r), "workstations"),
      CreateWorkstation: (r) =>
        this.workstations.create(r.parent, r.workstationId, r.workstation ?? {}, r.validateOnly),
      UpdateWorkstation: (r) => this.workstations.update(r.workstation ?? {}, r.updateMask?.paths),
      DeleteWorkstation: (r) => this.workstations.delete(r.name, r.etag),
      StartWorkstation: (r) => this.workstations.start(r.name, r.etag),
      StopWorkstation: (r) => this.workstations.stop(r.name, r.etag),
      GenerateAccessToken: (r) =>
        this.workstations.generateAccessToken(r.workstation, r.ttl ? Number(r.ttl.seconds) : 0),
    };
  }

  /** Handlers of google.longrunning.Operations. */
  operationsService(): Record<string, Handler> {
    const unimplemented = (what: string) => () => {
      throw new FakeStatusError(status.UNIMPLEMENTED, `${what} is not modelled by the fake`);
    };
    return {
      GetOperation: (r) => this.operations.poll(r.name),
      ListOperations: (r) => ({
        operations: this.operations.list(requireName("location", "name", r.name)),
        nextPageToken: "",
      }),
      DeleteOperation: (r) => {
        this.operations.delete(r.name);
        return {};
      },
      CancelOperation: unimplemented("CancelOperation"),
      WaitOperation: unimplemented("WaitOperation"),
    };
  }

  /** Handlers of google.iam.v1.IAMPolicy (workstations and workstation configs carry policies). */
  iamService(): Record<string, Handler> {
    return {
      GetIamPolicy: (r) => this.iam.get(r.resource),
      SetIamPolicy: (r) => this.iam.set(r),
      TestIamPermissions: (r) => {
        this.iam.get(r.resource);
        // The fake has one caller with every permission.
        return { permissions: r.permissions ?? [] };
      },
    };
  }
}
