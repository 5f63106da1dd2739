import { ruleCases } from "../testing/rule-cases.js";
import { policy as cleanup } from "./gcp-artifactregistry-repository-cleanup-policies.js";
import { policy as cmek } from "./gcp-artifactregistry-repository-cmek.js";
import { policy as immutableTags } from "./gcp-artifactregistry-repository-immutable-tags.js";
import { policy as noPublicAccess } from "./gcp-artifactregistry-repository-no-public-access.js";
import { policy as scanning } from "./gcp-artifactregistry-repository-vulnerability-scanning.js";
import { policy as workstationImageAndMirrors } from "./gcp-artifactregistry-repositoryiammember-workstation-image-and-mirrors.js";

const REPO = "licensed-registry";

ruleCases([
  {
    policy: noPublicAccess,
    breaks: [
      {
        title: "the member is allUsers",
        resource: "registry-pull",
        mutate: (i) => (i.member = "allUsers"),
        message: /public member allUsers/,
      },
      {
        title: "a binding lists allAuthenticatedUsers",
        resource: "registry-pull",
        mutate: (i) => {
          delete i.member;
          i.members = ["group:devs@coditect.ai", "allAuthenticatedUsers"];
        },
        message: /allAuthenticatedUsers/,
      },
      {
        title: "policyData grants allUsers",
        resource: "registry-pull",
        mutate: (i) => {
          delete i.member;
          i.policyData = JSON.stringify({
            bindings: [{ role: "roles/artifactregistry.reader", members: ["allUsers"] }],
          });
        },
        message: /roles\/artifactregistry.reader to the public member allUsers/,
      },
    ],
    passes: [
      {
        title: "policyData is an unresolved output",
        resource: "registry-pull",
        mutate: (i) => (i.policyData = "[unknown]"),
      },
    ],
  },
  {
    policy: immutableTags,
    breaks: [
      {
        title: "immutableTags is false",
        resource: REPO,
        mutate: (i) => (i.dockerConfig.immutableTags = false),
        message: /dockerConfig.immutableTags is not true/,
      },
      {
        title: "dockerConfig is unset",
        resource: REPO,
        mutate: (i) => delete i.dockerConfig,
        message: /dockerConfig.immutableTags/,
      },
    ],
    passes: [
      {
        title: "the repository is a remote repository",
        resource: REPO,
        mutate: (i) => {
          i.mode = "REMOTE_REPOSITORY";
          delete i.dockerConfig;
        },
      },
      {
        title: "the format is not Docker",
        resource: REPO,
        mutate: (i) => {
          i.format = "NPM";
          delete i.dockerConfig;
        },
      },
    ],
  },
  {
    policy: scanning,
    breaks: [
      {
        title: "scanning is DISABLED",
        resource: REPO,
        mutate: (i) => (i.vulnerabilityScanningConfig = { enablementConfig: "DISABLED" }),
        message: /enablementConfig is "DISABLED"/,
      },
    ],
    passes: [
      {
        title: "scanning is INHERITED explicitly",
        resource: REPO,
        mutate: (i) => (i.vulnerabilityScanningConfig = { enablementConfig: "INHERITED" }),
      },
    ],
  },
  {
    policy: cleanup,
    breaks: [
      {
        title: "there are no cleanup policies",
        resource: REPO,
        mutate: (i) => delete i.cleanupPolicies,
        message: /cleanupPolicies is empty/,
      },
      {
        title: "cleanup runs as a dry run",
        resource: REPO,
        mutate: (i) => (i.cleanupPolicyDryRun = true),
        message: /cleanupPolicyDryRun is true/,
      },
      {
        title: "a DELETE policy has no KEEP mostRecentVersions companion",
        resource: REPO,
        mutate: (i) =>
          (i.cleanupPolicies = i.cleanupPolicies.filter((p: { action: string }) => p.action === "DELETE")),
        message: /no KEEP policy with mostRecentVersions/,
      },
    ],
  },
  {
    policy: cmek,
    breaks: [
      {
        title: "kmsKeyName is unset",
        resource: REPO,
        mutate: (i) => delete i.kmsKeyName,
        message: /kmsKeyName is unset/,
      },
    ],
  },
  {
    policy: workstationImageAndMirrors,
    breaks: [
      {
        title: "the workstation account reads the control plane's repository",
        resource: "workstation-image-reader",
        mutate: (i) =>
          (i.repository =
            "projects/coditect-citus-prod/locations/us-central1/repositories/coditect-platform"),
        message:
          /holds roles\/artifactregistry\.reader on repository .*coditect-platform, which is neither a workstation image's repository/,
      },
      {
        title: "the workstation account may write the image's repository's neighbour",
        resource: "workstation-image-reader",
        mutate: (i) => {
          i.repository = "coditect-enterprise";
          i.role = "roles/artifactregistry.writer";
        },
        message: /holds roles\/artifactregistry\.writer on repository coditect-enterprise/,
      },
      {
        title: "the workstation account may write a package mirror",
        resource: "workstation-image-reader",
        mutate: (i, plan) => {
          i.repository = "coditect-mirror-npm";
          i.role = "roles/artifactregistry.writer";
          plan.resources.find((r) => r.name === "licensed-registry")!.inputs.repositoryId =
            "coditect-mirror-npm";
          plan.resources.find((r) => r.name === "licensed-registry")!.inputs.mode = "REMOTE_REPOSITORY";
        },
        message: /holds roles\/artifactregistry\.writer on repository coditect-mirror-npm/,
      },
      {
        title: "the workstation account reads every repository of the project",
        resource: "nodes-log-writer",
        mutate: (i, plan) => {
          i.role = "roles/artifactregistry.reader";
          i.member = plan.resources.find((r) => r.name === "workstation-image-reader")!.inputs.member;
        },
        message: /on the whole project/,
      },
    ],
    passes: [
      {
        title: "the workstation account reads a package mirror (a remote repository)",
        resource: "workstation-image-reader",
        mutate: (i, plan) => {
          i.repository = "coditect-mirror-npm";
          plan.resources.find((r) => r.name === "licensed-registry")!.inputs.repositoryId =
            "coditect-mirror-npm";
          plan.resources.find((r) => r.name === "licensed-registry")!.inputs.mode = "REMOTE_REPOSITORY";
        },
      },
      {
        title: "the grant names the image's repository by its full name",
        resource: "workstation-image-reader",
        mutate: (i) =>
          (i.repository =
            "projects/coditect-citus-prod/locations/us-central1/repositories/coditect-licensed"),
      },
      {
        title: "another account reads another repository",
        resource: "registry-pull",
        mutate: (i) => (i.repository = "coditect-platform"),
      },
    ],
  },
]);
