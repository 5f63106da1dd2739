/**
 * ControlPlane: everything the control plane runs on GKE, through @pulumi/kubernetes.
 *
 * The CRDs from crds/ (the API contract), one namespace each for the operator and billing (restricted Pod
 * Security Standard), their Kubernetes service accounts bound through Workload Identity to the Google
 * service accounts created by GkeWorkloadIdentity, least-privilege RBAC, default-deny NetworkPolicies with
 * the few flows each service needs, and the two workloads. The Kubernetes provider (and so the cluster)
 * comes in through `opts.providers`.
 */
import { existsSync, readdirSync } from "node:fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CRD_DIR, type CustomResourceDefinition, loadCrds } from "../../crds/load.js";
import type { WorkstationTier } from "../../lib/domain.js";
import { MIGRATION_USER } from "../database.js";
import { childName } from "../naming.js";
import { GOOGLE_HEALTH_CHECK_RANGES } from "../network.js";
import type { ControlPlaneSecretId } from "../secrets.js";
import {
  BILLING_PORT,
  type BillingAdmins,
  type BillingRegistryArgs,
  type BillingSmtp,
  createBillingWorkload,
} from "./billing.js";
import { billingPolicy, defaultDenyAll, operatorPolicy } from "./network-policies.js";
import { createOperatorWorkload, OPERATOR_PROBE_PORT } from "./operator.js";
import { podMonitoring, SCRAPE_JOBS } from "./pod-monitoring.js";
import { assertPinnedByDigest, RESTRICTED_NAMESPACE_LABELS } from "./pod-security.js";
import { assertLeastPrivilege, BILLING_CLUSTER_RULES, loadOperatorRules, type PolicyRule } from "./rbac.js";

/** Reads crds/*.yaml; a missing or empty folder is a clear error, not an empty control plane. */
export function loadControlPlaneCrds(dir: string = CRD_DIR): CustomResourceDefinition[] {
  const hasYaml = existsSync(dir) && readdirSync(dir).some((f) => f.endsWith(".yaml"));
  if (!hasYaml) {
    throw new Error(
      `no CustomResourceDefinitions in ${dir}: the control plane needs crds/*.yaml (License, Workstation, ContainerSession)`,
    );
  }
  return loadCrds(dir);
}

export interface WorkloadIdentityRef {
  namespace: string;
  serviceAccount: string;
  /** Email of the Google service account the KSA acts as. */
  googleServiceAccountEmail: pulumi.Input<string>;
}

export interface ControlPlaneArgs {
  /** Folder with the CRD YAML files (default: crds/). */
  crdDir?: string;
  /** The operator's RBAC manifest (default: operator/deploy/rbac.yaml). */
  operatorRbacFile?: string;
  operator: WorkloadIdentityRef & { image: string };
  billing: WorkloadIdentityRef & {
    image: string;
    host: string;
    minReplicas: number;
    maxReplicas: number;
    databaseHost: pulumi.Input<string>;
    databaseServerCa: pulumi.Input<string>;
    secretNames: Record<ControlPlaneSecretId, pulumi.Input<string>>;
    stripePriceIds: Record<string, string>;
    /** Admin allow-list and credentials (ADR 0165). */
    admins: BillingAdmins;
    /** The SMTP relay of notifications (ADR 0210); absent → nothing is mailed. */
    smtp?: BillingSmtp | undefined;
    /** Licensed registry pull credentials (issue 15): absent = billing issues none. */
    registry?: BillingRegistryArgs;
    /** OAuth client id of customers' Google sign-in (ADR 0220); absent = email links only. */
    accountGoogleClientId?: string | undefined;
  };
  project: pulumi.Input<string>;
  workstations: {
    project: string;
    region: string;
    clusterId: string;
    configIds: Record<WorkstationTier, string>;
    /** The fleet's service account (billing accepts identity tokens from it only). */
    serviceAccountEmail: pulumi.Input<string>;
  };
  /** The GKE control plane's CIDR (egress to the Kubernetes API). */
  masterCidr: string;
}

const appLabels = (app: string) => ({
  "app.kubernetes.io/name": app,
  "app.kubernetes.io/part-of": "coditect",
});

export class ControlPlane extends pulumi.ComponentResource {
  readonly crds: k8s.apiextensions.v1.CustomResourceDefinition[];
  /** https://<billing host>. */
  readonly billingUrl: string;
  readonly billingAddress: pulumi.Output<string>;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    const operatorImage = assertPinnedByDigest(args.operator.image, "operator");
    const billingImage = assertPinnedByDigest(args.billing.image, "billing");
    const operatorRules = loadOperatorRules(args.operatorRbacFile);
    for (const [rules, role] of [
      [operatorRules.cluster, "operator ClusterRole"],
      [operatorRules.namespace, "operator Role"],
      [BILLING_CLUSTER_RULES, "billing ClusterRole"],
    ] as const) {
      assertLeastPrivilege(rules, role);
    }
    super("coditect:index:ControlPlane", name, {}, opts);

    const parent = { parent: this };

    this.crds = loadControlPlaneCrds(args.crdDir).map(
      (crd) =>
        new k8s.apiextensions.v1.CustomResourceDefinition(
          childName(name, `crd-${crd.spec.names.plural}`),
          // crds/load.ts types the schema as a JSON-schema subset; it is the same document the API takes.
          { metadata: crd.metadata, spec: crd.spec as never },
          parent,
        ),
    );

    const identity = (app: "operator" | "billing", ref: WorkloadIdentityRef) => {
      const namespace = new k8s.core.v1.Namespace(
        childName(name, `${app}-namespace`),
        { metadata: { name: ref.namespace, labels: { ...RESTRICTED_NAMESPACE_LABELS, ...appLabels(app) } } },
        parent,
      );
      const serviceAccount = new k8s.core.v1.ServiceAccount(
        childName(name, `${app}-ksa`),
        {
          metadata: {
            name: ref.serviceAccount,
            namespace: namespace.metadata.name,
            labels: appLabels(app),
            annotations: { "iam.gke.io/gcp-service-account": ref.googleServiceAccountEmail },
          },
        },
        parent,
      );
      new k8s.networking.v1.NetworkPolicy(
        childName(name, `${app}-default-deny`),
        { metadata: { name: "default-deny", namespace: namespace.metadata.name }, spec: defaultDenyAll() },
        parent,
      );
      return { namespace, serviceAccount };
    };
    const operator = identity("operator", args.operator);
    const billing = identity("billing", args.billing);

    this.clusterRole("operator", name, operatorRules.cluster, operator.serviceAccount);
    this.clusterRole("billing", name, BILLING_CLUSTER_RULES, billing.serviceAccount);
    const leaseRole = new k8s.rbac.v1.Role(
      childName(name, "operator-leases"),
      {
        metadata: { name: "coditect-operator-leases", namespace: operator.namespace.metadata.name },
        rules: operatorRules.namespace,
      },
      parent,
    );
    new k8s.rbac.v1.RoleBinding(
      childName(name, "operator-leases"),
      {
        metadata: { name: "coditect-operator-leases", namespace: operator.namespace.metadata.name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: leaseRole.metadata.name },
        subjects: [
          {
            kind: "ServiceAccount",
            name: operator.serviceAccount.metadata.name,
            namespace: args.operator.namespace,
          },
        ],
      },
      parent,
    );

    new k8s.networking.v1.NetworkPolicy(
      childName(name, "operator-allow"),
      {
        metadata: { name: "operator", namespace: operator.namespace.metadata.name },
        spec: operatorPolicy(appLabels("operator"), args.masterCidr, OPERATOR_PROBE_PORT),
      },
      parent,
    );
    new k8s.networking.v1.NetworkPolicy(
      childName(name, "billing-allow"),
      {
        metadata: { name: "billing", namespace: billing.namespace.metadata.name },
        spec: pulumi
          .output(args.billing.databaseHost)
          .apply((ip) =>
            billingPolicy(
              appLabels("billing"),
              args.masterCidr,
              BILLING_PORT,
              ip,
              GOOGLE_HEALTH_CHECK_RANGES,
              args.billing.smtp?.port,
            ),
          ),
      },
      parent,
    );

    // Workloads start after the CRDs they watch and write exist.
    const workloadOpts = { parent: this, dependsOn: this.crds };
    createOperatorWorkload(
      name,
      {
        namespace: operator.namespace.metadata.name,
        serviceAccountName: operator.serviceAccount.metadata.name,
        image: operatorImage,
        labels: appLabels("operator"),
        workstations: args.workstations,
      },
      workloadOpts,
    );
    const billingWorkload = createBillingWorkload(
      name,
      {
        project: args.project,
        namespace: billing.namespace.metadata.name,
        serviceAccountName: billing.serviceAccount.metadata.name,
        image: billingImage,
        labels: appLabels("billing"),
        host: args.billing.host,
        minReplicas: args.billing.minReplicas,
        maxReplicas: args.billing.maxReplicas,
        databaseHost: args.billing.databaseHost,
        databaseName: "billing",
        databaseUser: "billing",
        migrationUser: MIGRATION_USER,
        databaseServerCa: args.billing.databaseServerCa,
        secretNames: args.billing.secretNames,
        stripePriceIds: args.billing.stripePriceIds,
        workstationServiceAccountEmail: args.workstations.serviceAccountEmail,
        admins: args.billing.admins,
        smtp: args.billing.smtp,
        ...(args.billing.registry ? { registry: args.billing.registry } : {}),
        accountGoogleClientId: args.billing.accountGoogleClientId,
      },
      workloadOpts,
    );
    // Google Managed Prometheus scrapes both services (ADR 0130); the port names are the containers'.
    for (const [app, namespace, port] of [
      ["operator", operator.namespace, "http-probes"],
      ["billing", billing.namespace, "http"],
    ] as const) {
      const manifest = podMonitoring(SCRAPE_JOBS[app], args[app].namespace, appLabels(app), port);
      new k8s.apiextensions.CustomResource(
        childName(name, `${app}-podmonitoring`),
        { ...manifest, metadata: { ...manifest.metadata, namespace: namespace.metadata.name } },
        parent,
      );
    }
    this.billingUrl = billingWorkload.url;
    this.billingAddress = billingWorkload.address.address;
    this.registerOutputs({ billingUrl: this.billingUrl, billingAddress: this.billingAddress });
  }

  private clusterRole(
    app: string,
    name: string,
    rules: PolicyRule[],
    subject: k8s.core.v1.ServiceAccount,
  ): void {
    const role = new k8s.rbac.v1.ClusterRole(
      childName(name, `${app}-role`),
      { metadata: { name: `coditect-${app}`, labels: appLabels(app) }, rules },
      { parent: this },
    );
    new k8s.rbac.v1.ClusterRoleBinding(
      childName(name, `${app}-binding`),
      {
        metadata: { name: `coditect-${app}`, labels: appLabels(app) },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [
          { kind: "ServiceAccount", name: subject.metadata.name, namespace: subject.metadata.namespace },
        ],
      },
      { parent: this },
    );
  }
}
