/**
 * IAM policies of the fake Cloud Workstations API (google.iam.v1.IAMPolicy on the same endpoint).
 * Read-modify-write is guarded by the policy etag: setIamPolicy with an etag that is no longer current
 * fails with ABORTED, as GCP does ("There were concurrent policy changes…"); an empty etag overwrites.
 *
 * Test infrastructure: not used in production.
 */
import { randomBytes } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { FakeStatusError, requireIamMember } from "./names.js";

export interface IamBinding {
  role: string;
  members: string[];
}

interface StoredPolicy {
  bindings: IamBinding[];
  etag: Buffer;
}

interface SetPolicyRequest {
  resource: string;
  policy?: { bindings?: Array<{ role: string; members: string[] }>; etag?: Buffer | Uint8Array };
}

export class IamPolicies {
  readonly #policies = new Map<string, StoredPolicy>();

  /** @param exists whether a resource can carry a policy (NOT_FOUND otherwise). */
  constructor(private readonly exists: (resource: string) => boolean) {}

  get(resource: string): object {
    return toProto(this.#require(resource));
  }

  set(request: SetPolicyRequest): object {
    const current = this.#require(request.resource);
    const policy = request.policy;
    if (!policy) throw new FakeStatusError(status.INVALID_ARGUMENT, "policy is required");
    const etag = Buffer.from(policy.etag ?? []);
    if (etag.length > 0 && !etag.equals(current.etag)) {
      throw new FakeStatusError(
        status.ABORTED,
        `There were concurrent policy changes on "${request.resource}". ` +
          "Please retry the whole read-modify-write with exponential backoff.",
      );
    }
    const bindings = (policy.bindings ?? []).map((binding) => {
      if (!binding.role.startsWith("roles/")) {
        throw new FakeStatusError(
          status.INVALID_ARGUMENT,
          `role "${binding.role}" is invalid; expected roles/…`,
        );
      }
      for (const member of binding.members) requireIamMember(member);
      return { role: binding.role, members: [...new Set(binding.members)] };
    });
    const next = { bindings: bindings.filter((b) => b.members.length > 0), etag: randomBytes(8) };
    this.#policies.set(request.resource, next);
    return toProto(next);
  }

  /** Members holding `role` on `resource` (test inspection). */
  members(resource: string, role: string): string[] {
    const policy = this.#policies.get(resource);
    return policy?.bindings.find((b) => b.role === role)?.members ?? [];
  }

  /** Forgets the policy of a deleted resource. */
  forget(resource: string): void {
    this.#policies.delete(resource);
  }

  #require(resource: string): StoredPolicy {
    if (!this.exists(resource)) {
      throw new FakeStatusError(status.NOT_FOUND, `resource "${resource}" not found`);
    }
    let policy = this.#policies.get(resource);
    if (!policy) {
      policy = { bindings: [], etag: randomBytes(8) };
      this.#policies.set(resource, policy);
    }
    return policy;
  }
}

function toProto(policy: StoredPolicy): object {
  return {
    version: 1,
    bindings: policy.bindings.map((b) => ({ role: b.role, members: [...b.members] })),
    auditConfigs: [],
    etag: policy.etag,
  };
}
