/**
 * GkeWorkloadIdentity: a Google service account for one Kubernetes service account, bound through
 * Workload Identity so the pod gets Google credentials without any key. The GSA starts with no roles;
 * the resources it needs grant it access (registry, secrets, workstation configs), each at resource level.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, serviceAccountId } from "./naming.js";

export interface GkeWorkloadIdentityArgs {
  project: pulumi.Input<string>;
  /** Service-account id (6–30 chars), e.g. coditect-operator. */
  accountId: string;
  description: string;
  /** Namespace and name of the Kubernetes service account allowed to act as this GSA. */
  namespace: string;
  kubernetesServiceAccount: string;
  /** The cluster's workload pool (`<project>.svc.id.goog`); taking it from the cluster orders the binding after it. */
  workloadPool: pulumi.Input<string>;
  /**
   * Project-level roles, only where no resource-level grant exists (e.g. the operator reads the
   * long-running operations of its workstation calls: roles/workstations.operationViewer).
   */
  projectRoles?: string[];
}

/** The IAM member naming one KSA in a workload pool. */
export function workloadIdentityMember(workloadPool: string, namespace: string, ksa: string): string {
  return `serviceAccount:${workloadPool}[${namespace}/${ksa}]`;
}

export class GkeWorkloadIdentity extends pulumi.ComponentResource {
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly email: pulumi.Output<string>;
  /** `serviceAccount:<email>`, for grants. */
  readonly member: pulumi.Output<string>;

  constructor(name: string, args: GkeWorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:GkeWorkloadIdentity", name, {}, opts);
    this.serviceAccount = new gcp.serviceaccount.Account(
      childName(name, "sa"),
      {
        project: args.project,
        accountId: serviceAccountId([args.accountId]),
        displayName: `${args.namespace}/${args.kubernetesServiceAccount} (Workload Identity)`,
        description: args.description,
      },
      { parent: this },
    );
    new gcp.serviceaccount.IAMMember(
      childName(name, "binding"),
      {
        serviceAccountId: this.serviceAccount.name,
        role: "roles/iam.workloadIdentityUser",
        member: pulumi
          .output(args.workloadPool)
          .apply((pool) => workloadIdentityMember(pool, args.namespace, args.kubernetesServiceAccount)),
      },
      { parent: this },
    );
    for (const role of args.projectRoles ?? []) {
      new gcp.projects.IAMMember(
        childName(name, role.split("/")[1]!.replace(/\./g, "-").toLowerCase()),
        { project: args.project, role, member: this.serviceAccount.member },
        { parent: this },
      );
    }
    this.email = this.serviceAccount.email;
    this.member = this.serviceAccount.member;
    this.registerOutputs({ email: this.email });
  }
}
