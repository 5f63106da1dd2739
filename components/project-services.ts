/**
 * ProjectServices: enables the Google APIs the platform uses. Everything else depends on it (through
 * `readyProject`), so a fresh project comes up in one `pulumi up`. APIs are never disabled on destroy (other tenants of the project
 * may rely on them, and disabling can delete data).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "./naming.js";

export const REQUIRED_APIS = [
  "compute.googleapis.com",
  "container.googleapis.com",
  "servicenetworking.googleapis.com",
  "sqladmin.googleapis.com",
  "secretmanager.googleapis.com",
  "cloudkms.googleapis.com",
  "artifactregistry.googleapis.com",
  "containerscanning.googleapis.com",
  "workstations.googleapis.com",
  "dns.googleapis.com",
  "binaryauthorization.googleapis.com",
  "iam.googleapis.com",
  "iamcredentials.googleapis.com",
  "sts.googleapis.com",
  // Dashboards and alert policies (components/monitoring.ts); GKE's managed Prometheus writes here too.
  "monitoring.googleapis.com",
] as const;

export interface ProjectServicesArgs {
  project: pulumi.Input<string>;
  services?: readonly string[];
}

export class ProjectServices extends pulumi.ComponentResource {
  readonly services: gcp.projects.Service[];
  /**
   * The project id, resolved only once every API is enabled. Resources that take their `project` from
   * here depend on the APIs through their inputs (a component's `dependsOn` does not reach its children).
   */
  readonly readyProject: pulumi.Output<string>;

  constructor(name: string, args: ProjectServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:ProjectServices", name, {}, opts);
    this.services = (args.services ?? REQUIRED_APIS).map(
      (service) =>
        new gcp.projects.Service(
          childName(name, service.split(".")[0]!),
          { project: args.project, service, disableOnDestroy: false, disableDependentServices: false },
          { parent: this },
        ),
    );
    this.readyProject = pulumi
      .all([pulumi.output(args.project), ...this.services.map((s) => s.id)])
      .apply(([project]) => project as string);
    this.registerOutputs({ services: this.services.map((s) => s.service) });
  }
}
