/**
 * Pulumi entry point (Pulumi.yaml `main`). Reads and validates the stack config, builds the program and
 * exports the stack outputs. Everything is in program.ts so tests can build it with a config object.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_NAME, readStackConfig } from "./config.js";
import { createProgram } from "./program.js";

const config = new pulumi.Config(PROJECT_NAME);
const outputs = createProgram(readStackConfig((key) => config.get(key), pulumi.getStack()));

export const registryUrls = outputs.registryUrls;
export const registryPullServiceAccounts = outputs.registryPullServiceAccounts;
export const signingKeyId = outputs.signingKeyId;
export const signingKeyUri = outputs.signingKeyUri;
export const signingPublicKeyPem = outputs.signingPublicKeyPem;
export const cosignVerifyCommand = outputs.cosignVerifyCommand;
export const cosignPublishedKeyVerifyCommand = outputs.cosignPublishedKeyVerifyCommand;
export const buildServiceAccount = outputs.buildServiceAccount;
export const buildWorkloadIdentityProvider = outputs.buildWorkloadIdentityProvider;
export const workstationClusterName = outputs.workstationClusterName;
export const workstationClusterId = outputs.workstationClusterId;
export const workstationConfigNames = outputs.workstationConfigNames;
export const gkeClusterName = outputs.gkeClusterName;
export const gkeEndpoint = outputs.gkeEndpoint;
export const gkeDnsEndpoint = outputs.gkeDnsEndpoint;
export const workstationServiceAccount = outputs.workstationServiceAccount;
export const workstationClusterHostname = outputs.workstationClusterHostname;
export const databaseServerCa = outputs.databaseServerCa;
export const databaseConnectionName = outputs.databaseConnectionName;
export const databasePrivateIp = outputs.databasePrivateIp;
export const secretNames = outputs.secretNames;
export const billingUrl = outputs.billingUrl;
export const billingIngressAddress = outputs.billingIngressAddress;
