/**
 * The whole program: infrastructure, then the control plane on GKE, then the stack outputs an operator
 * of the system needs. `index.ts` is the Pulumi entry point that feeds it the validated config.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ControlPlane } from "../components/control-plane/index.js";
import { Monitoring } from "../components/monitoring.js";
import { WorkstationEgressAllow } from "../components/segmentation.js";
import { releaseOf, type StackConfig } from "./config.js";
import { CONTROL_PLANE_WORKLOADS, createInfrastructure, type Infrastructure } from "./infrastructure.js";

export function createProgram(cfg: StackConfig) {
  const infra = createInfrastructure(cfg);
  const { registry, signing, fleet, gke, database, build, secrets } = infra;
  // The first deploy's infrastructure phase stops here: no release exists yet to run (ADR 0101).
  const release = releaseOf(cfg);
  const controlPlane = release ? createControlPlane(cfg, infra, release) : undefined;
  // The license server is the one destination outside Google the workstations may reach (https to billing's
  // ingress address, which the control plane owns); everything else is denied (ADR 0173).
  if (controlPlane) {
    new WorkstationEgressAllow("coditect-ws-license-server", {
      project: infra.project,
      networkId: infra.network.network.id,
      workstationServiceAccount: fleet.serviceAccount.email,
      address: controlPlane.billingAddress,
      description: "Workstation VMs to the license server (billing's ingress): validate, heartbeat, release",
    });
  }
  // Dashboards and alerts arrive with the services they watch (before, "billing is down" would fire).
  const monitoring = controlPlane
    ? new Monitoring("coditect-monitoring", {
        project: infra.project,
        namespaces: {
          billing: CONTROL_PLANE_WORKLOADS.billing.namespace,
          operator: CONTROL_PLANE_WORKLOADS.operator.namespace,
        },
      })
    : undefined;
  const configs = fleet.configs;

  return {
    registryUrls: pulumi.output(registry.urls),
    packageMirrorUrls: pulumi.output(registry.mirrorUrls),
    registryPullServiceAccounts: pulumi.output({
      pro: registry.pullIdentities.pro.email,
      enterprise: registry.pullIdentities.enterprise.email,
    }),
    signingKeyId: signing.keyId,
    signingKeyUri: signing.keyVersionUri,
    signingPublicKeyPem: signing.publicKeyPem,
    cosignVerifyCommand: signing.verifyCommand,
    cosignPublishedKeyVerifyCommand: signing.publishedKeyVerifyCommand,
    buildServiceAccount: build.serviceAccount.email,
    buildWorkloadIdentityProvider: build.workloadIdentityProvider,
    workstationClusterName: fleet.cluster.name,
    workstationClusterId: fleet.cluster.workstationClusterId,
    workstationConfigNames: configs
      ? pulumi.output({ standard: configs.standard.name, power: configs.power.name, ai: configs.ai.name })
      : pulumi.output(undefined),
    gkeClusterName: gke.cluster.name,
    gkeEndpoint: gke.endpoint,
    gkeDnsEndpoint: gke.dnsEndpoint,
    workstationServiceAccount: fleet.serviceAccount.email,
    workstationClusterHostname: fleet.clusterHostname,
    databaseServerCa: database.serverCa,
    databaseConnectionName: database.connectionName,
    databasePrivateIp: database.privateIp,
    secretNames: pulumi.output(secrets.secretNames),
    billingUrl: pulumi.output(controlPlane?.billingUrl),
    billingIngressAddress: controlPlane ? controlPlane.billingAddress : pulumi.output(undefined),
    monitoringDashboard: monitoring ? monitoring.dashboard.id : pulumi.output(undefined),
  };
}

function createControlPlane(
  cfg: StackConfig,
  infra: Infrastructure,
  release: NonNullable<ReturnType<typeof releaseOf>>,
): ControlPlane {
  const { fleet, gke, database, secrets } = infra;
  // The provider's kubeconfig resolves only once the node pool exists, so nothing is applied to a
  // cluster without nodes; it targets the cluster's DNS endpoint (IAM-guarded, reachable without a VPN,
  // ADR 0102) and credentials come from gke-gcloud-auth-plugin, never from the state.
  const kubeconfig = pulumi.all([gke.kubeconfig, gke.nodePool.id]).apply(([config]) => config);
  const kubernetes = new k8s.Provider("coditect-gke", { kubeconfig, enableServerSideApply: true });
  return new ControlPlane(
    "coditect-control-plane",
    {
      project: infra.project,
      masterCidr: cfg.network.gkeMasterCidr,
      workstations: {
        project: cfg.gcpProject,
        region: cfg.region,
        clusterId: cfg.workstations.clusterId,
        configIds: fleet.configIds,
        serviceAccountEmail: fleet.serviceAccount.email,
      },
      operator: {
        ...CONTROL_PLANE_WORKLOADS.operator,
        googleServiceAccountEmail: infra.operatorIdentity.email,
        image: release.operatorImage,
      },
      billing: {
        ...CONTROL_PLANE_WORKLOADS.billing,
        googleServiceAccountEmail: infra.billingIdentity.email,
        image: release.billingImage,
        host: cfg.controlPlane.billingHost,
        minReplicas: cfg.controlPlane.billingMinReplicas,
        maxReplicas: cfg.controlPlane.billingMaxReplicas,
        databaseHost: database.privateIp,
        databaseServerCa: database.serverCa,
        secretNames: secrets.secretNames,
        stripePriceIds: release.stripePriceIds,
        admins: cfg.controlPlane.admins,
        smtp: cfg.controlPlane.smtp,
        accountGoogleClientId: cfg.controlPlane.accountGoogleClientId,
        // Customers' pull tokens (issue 15): billing impersonates the tier's pull identity.
        registry: {
          host: `${cfg.region}-docker.pkg.dev`,
          repositoryPrefix: `${cfg.gcpProject}/`,
          pullServiceAccounts: {
            pro: infra.registry.pullIdentities.pro.email,
            enterprise: infra.registry.pullIdentities.enterprise.email,
          },
        },
      },
    },
    { providers: [kubernetes] },
  );
}

export type ProgramOutputs = ReturnType<typeof createProgram>;
