/**
 * The whole program: infrastructure, then the control plane on GKE, then the stack outputs an operator
 * of the system needs. `index.ts` is the Pulumi entry point that feeds it the validated config.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config.js";
import { createInfrastructure } from "./infrastructure.js";

export function createProgram(cfg: StackConfig) {
  const infra = createInfrastructure(cfg);
  const { registry, signing, fleet, gke, database, build, secrets } = infra;
  return {
    registryUrls: pulumi.output(registry.urls),
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
    workstationConfigNames: pulumi.output({
      standard: fleet.configs.standard.name,
      power: fleet.configs.power.name,
      ai: fleet.configs.ai.name,
    }),
    gkeClusterName: gke.cluster.name,
    gkeEndpoint: gke.endpoint,
    databaseConnectionName: database.connectionName,
    databasePrivateIp: database.privateIp,
    secretNames: pulumi.output(secrets.secretNames),
    billingUrl: pulumi.output(infra.billingUrl),
  };
}

export type ProgramOutputs = ReturnType<typeof createProgram>;
