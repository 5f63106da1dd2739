import { ruleCases } from "../testing/rule-cases.js";
import { policy as privateEndpoint } from "./gcp-workstations-workstationcluster-private-endpoint.js";
import { policy as confidential } from "./gcp-workstations-workstationconfig-confidential-compute.js";
import { policy as confidentialMachine } from "./gcp-workstations-workstationconfig-confidential-machine-type.js";
import { policy as idle } from "./gcp-workstations-workstationconfig-idle-timeout.js";
import { policy as imageDigest } from "./gcp-workstations-workstationconfig-image-digest.js";
import { policy as ownRegistry } from "./gcp-workstations-workstationconfig-image-own-registry.js";
import { policy as noPublicIp } from "./gcp-workstations-workstationconfig-no-public-ip.js";
import { policy as running } from "./gcp-workstations-workstationconfig-running-timeout.js";
import { policy as serviceAccount } from "./gcp-workstations-workstationconfig-service-account.js";
import { policy as shielded } from "./gcp-workstations-workstationconfig-shielded-vm.js";
import { policy as sshDisabled } from "./gcp-workstations-workstationconfig-ssh-disabled.js";
import { policy as sudoDisabled } from "./gcp-workstations-workstationconfig-sudo-disabled.js";

const CONFIG = "ws-standard";
const DIGEST = `sha256:${"ab".repeat(32)}`;

ruleCases([
  {
    policy: idle,
    breaks: [
      {
        title: "idleTimeout is one hour",
        resource: CONFIG,
        mutate: (i) => (i.idleTimeout = "3600s"),
        message: /idleTimeout is "3600s", longer than 1800s/,
      },
      {
        title: "idleTimeout is disabled",
        resource: CONFIG,
        mutate: (i) => (i.idleTimeout = "0s"),
        message: /never stopped/,
      },
      {
        title: "idleTimeout is malformed",
        resource: CONFIG,
        mutate: (i) => (i.idleTimeout = "30m"),
        message: /idleTimeout is "30m"/,
      },
    ],
    passes: [
      {
        title: "idleTimeout is unset (20 min default)",
        resource: CONFIG,
        mutate: (i) => delete i.idleTimeout,
      },
      {
        title: "the limit is raised in config",
        resource: CONFIG,
        mutate: (i) => (i.idleTimeout = "3600s"),
        settings: { maxIdleSeconds: 3600 },
      },
    ],
  },
  {
    policy: running,
    breaks: [
      {
        title: "runningTimeout is 24 h",
        resource: CONFIG,
        mutate: (i) => (i.runningTimeout = "86400s"),
        message: /longer than 43200s/,
      },
      {
        title: "runningTimeout is disabled",
        resource: CONFIG,
        mutate: (i) => (i.runningTimeout = "0s"),
        message: /may run forever/,
      },
    ],
    passes: [
      {
        title: "runningTimeout is unset (12 h default)",
        resource: CONFIG,
        mutate: (i) => delete i.runningTimeout,
      },
    ],
  },
  {
    policy: noPublicIp,
    breaks: [
      {
        title: "public IPs are allowed",
        resource: CONFIG,
        mutate: (i) => (i.host.gceInstance.disablePublicIpAddresses = false),
        message: /disablePublicIpAddresses is false/,
      },
      {
        title: "the host block is missing",
        resource: CONFIG,
        mutate: (i) => delete i.host,
        message: /disablePublicIpAddresses is unset/,
      },
    ],
  },
  {
    policy: shielded,
    breaks: [
      {
        title: "secure boot is off",
        resource: CONFIG,
        mutate: (i) => (i.host.gceInstance.shieldedInstanceConfig.enableSecureBoot = false),
        message: /enableSecureBoot is not true/,
      },
      {
        title: "vTPM is off",
        resource: CONFIG,
        mutate: (i) => delete i.host.gceInstance.shieldedInstanceConfig.enableVtpm,
        message: /enableVtpm is not true/,
      },
      {
        title: "integrity monitoring is off",
        resource: CONFIG,
        mutate: (i) => (i.host.gceInstance.shieldedInstanceConfig.enableIntegrityMonitoring = false),
        message: /enableIntegrityMonitoring/,
      },
    ],
  },
  {
    policy: confidential,
    breaks: [
      {
        title: "confidential compute is off",
        resource: CONFIG,
        mutate: (i) => delete i.host.gceInstance.confidentialInstanceConfig,
        message: /enableConfidentialCompute is not true/,
      },
    ],
    passes: [
      {
        title: "the config is exempted by id",
        resource: CONFIG,
        mutate: (i) => delete i.host.gceInstance.confidentialInstanceConfig,
        settings: { exemptConfigIds: ["coditect-standard"] },
      },
    ],
  },
  {
    policy: confidentialMachine,
    breaks: [
      {
        title: "the seed's e2-standard-4 is confidential (D10)",
        resource: CONFIG,
        mutate: (i) => (i.host.gceInstance.machineType = "e2-standard-4"),
        message: /E2 machine types cannot run Confidential VMs/,
      },
      {
        title: "the machine type is unset (e2-standard-4 default)",
        resource: CONFIG,
        mutate: (i) => delete i.host.gceInstance.machineType,
        message: /defaults to e2-standard-4/,
      },
      {
        title: "an N2 type is used",
        resource: CONFIG,
        mutate: (i) => (i.host.gceInstance.machineType = "n2-standard-8"),
        message: /not a confidential family/,
      },
    ],
    passes: [
      {
        title: "an E2 config is not confidential",
        resource: CONFIG,
        mutate: (i) => {
          i.host.gceInstance.machineType = "e2-standard-4";
          delete i.host.gceInstance.confidentialInstanceConfig;
        },
      },
    ],
  },
  {
    policy: privateEndpoint,
    breaks: [
      {
        title: "the endpoint is public",
        resource: "ws-cluster",
        mutate: (i) => (i.privateClusterConfig.enablePrivateEndpoint = false),
        message: /enablePrivateEndpoint is false/,
      },
      {
        title: "privateClusterConfig is unset",
        resource: "ws-cluster",
        mutate: (i) => delete i.privateClusterConfig,
        message: /enablePrivateEndpoint is unset/,
      },
    ],
  },
  {
    policy: imageDigest,
    breaks: [
      {
        title: "the image is a tag",
        resource: CONFIG,
        mutate: (i) =>
          (i.container.image =
            "us-central1-docker.pkg.dev/coditect-citus-prod/coditect-licensed/coditect-workstation:latest"),
        message: /not pinned by @sha256 digest/,
      },
      {
        title: "the image is on GCR (D9)",
        resource: CONFIG,
        mutate: (i) => (i.container.image = `gcr.io/coditect-cloud-infra/workstation@${DIGEST}`),
        message: /not an Artifact Registry/,
      },
      {
        title: "no image is set (predefined image)",
        resource: CONFIG,
        mutate: (i) => delete i.container,
        message: /predefined Google image/,
      },
    ],
    passes: [
      {
        title: "a tag and digest are both given",
        resource: CONFIG,
        mutate: (i) =>
          (i.container.image = `us-central1-docker.pkg.dev/coditect-citus-prod/coditect-licensed/coditect-workstation:v1.2.0@${DIGEST}`),
      },
    ],
  },
  {
    policy: ownRegistry,
    breaks: [
      {
        title: "the image comes from Google's predefined repository",
        resource: CONFIG,
        mutate: (i) =>
          (i.container.image = `us-central1-docker.pkg.dev/cloud-workstations-images/predefined/code-oss@${DIGEST}`),
        message:
          /repository us-central1\/cloud-workstations-images\/predefined, which this stack does not declare/,
      },
      {
        title: "the repository is in another location",
        resource: CONFIG,
        mutate: (i) =>
          (i.container.image = `europe-west1-docker.pkg.dev/coditect-citus-prod/coditect-licensed/coditect-workstation@${DIGEST}`),
        message: /europe-west1\/coditect-citus-prod\/coditect-licensed/,
      },
    ],
  },
  {
    policy: serviceAccount,
    breaks: [
      {
        title: "no service account is set",
        resource: CONFIG,
        mutate: (i) => delete i.host.gceInstance.serviceAccount,
        message: /serviceAccount is unset/,
      },
      {
        title: "the default compute account is used",
        resource: CONFIG,
        mutate: (i) => (i.host.gceInstance.serviceAccount = "123-compute@developer.gserviceaccount.com"),
        message: /Compute Engine default account/,
      },
    ],
  },
  {
    policy: sshDisabled,
    breaks: [
      {
        title: "SSH is enabled",
        resource: CONFIG,
        mutate: (i) => (i.host.gceInstance.disableSsh = false),
        message: /disableSsh is false/,
      },
    ],
    passes: [
      {
        title: "disableSsh is unset (disabled by default)",
        resource: CONFIG,
        mutate: (i) => delete i.host.gceInstance.disableSsh,
      },
    ],
  },
  {
    policy: sudoDisabled,
    breaks: [
      {
        title: "the container env does not disable sudo",
        resource: CONFIG,
        mutate: (i) => delete i.container.env,
        message: /CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO is unset: workstation users get sudo/,
      },
      {
        title: "the variable is set to false",
        resource: CONFIG,
        mutate: (i) => (i.container.env.CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO = "false"),
        message: /CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO is "false"/,
      },
    ],
  },
]);
