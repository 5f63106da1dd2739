import { ruleCases } from "../testing/rule-cases.js";
import { policy as noBasicRoles } from "./gcp-iam-binding-no-basic-roles.js";
import { policy as noPublicMembers } from "./gcp-iam-binding-no-public-members.js";
import { policy as providerCondition } from "./gcp-iam-workloadidentitypoolprovider-attribute-condition.js";
import { policy as noImpersonation } from "./gcp-projects-iammember-no-service-account-impersonation.js";
import { policy as noKeys } from "./gcp-serviceaccount-key-no-user-managed.js";

const MEMBER = "nodes-log-writer";

ruleCases([
  {
    policy: noBasicRoles,
    breaks: [
      {
        title: "a project grant is roles/editor",
        resource: MEMBER,
        mutate: (i) => (i.role = "roles/editor"),
        message: /basic role roles\/editor/,
      },
      {
        title: "a project IAM policy binds roles/owner",
        resource: MEMBER,
        mutate: (i, plan) => {
          plan.resources.find((r) => r.name === MEMBER)!.type = "gcp:projects/iAMPolicy:IAMPolicy";
          delete i.role;
          delete i.member;
          i.policyData = JSON.stringify({
            bindings: [{ role: "roles/owner", members: ["user:ops@coditect.ai"] }],
          });
        },
        message: /basic role roles\/owner to user:ops@coditect.ai/,
      },
      {
        title: "a resource-level grant is roles/viewer",
        resource: "registry-pull",
        mutate: (i) => (i.role = "roles/viewer"),
        message: /roles\/viewer/,
      },
    ],
  },
  {
    policy: noPublicMembers,
    breaks: [
      {
        title: "a project grant goes to allAuthenticatedUsers",
        resource: MEMBER,
        mutate: (i) => (i.member = "allAuthenticatedUsers"),
        message: /public member allAuthenticatedUsers/,
      },
    ],
    passes: [
      // Reported once, by the Artifact Registry rule with its own anchor.
      {
        title: "the public grant is on a repository",
        resource: "registry-pull",
        mutate: (i) => (i.member = "allUsers"),
      },
    ],
  },
  {
    policy: noImpersonation,
    breaks: [
      {
        title: "Token Creator is granted project-wide",
        resource: MEMBER,
        mutate: (i) => (i.role = "roles/iam.serviceAccountTokenCreator"),
        message: /roles\/iam.serviceAccountTokenCreator .* on every service account in scope/,
      },
      {
        title: "Service Account User is granted project-wide",
        resource: MEMBER,
        mutate: (i) => (i.role = "roles/iam.serviceAccountUser"),
        message: /serviceAccountUser/,
      },
    ],
  },
  {
    policy: noKeys,
    breaks: [
      {
        title: "the stack creates a service account key",
        resource: MEMBER,
        mutate: (i, plan) => {
          plan.resources.find((r) => r.name === MEMBER)!.type = "gcp:serviceaccount/key:Key";
          for (const key of Object.keys(i)) delete i[key];
          i.serviceAccountId = "docker-pull-dev@coditect-citus-prod.iam.gserviceaccount.com";
        },
        message: /user-managed key for service account "docker-pull-dev@/,
      },
    ],
  },
  {
    policy: providerCondition,
    breaks: [
      {
        title: "the provider has no condition",
        resource: "github-oidc",
        mutate: (i) => delete i.attributeCondition,
        message: /attributeCondition is unset/,
      },
      {
        title: "the GitHub condition only checks the branch",
        resource: "github-oidc",
        mutate: (i) => (i.attributeCondition = 'assertion.ref == "refs/heads/main"'),
        message: /does not restrict the GitHub repository or owner/,
      },
    ],
    passes: [
      {
        title: "the condition pins the owner id",
        resource: "github-oidc",
        mutate: (i) => (i.attributeCondition = 'assertion.repository_owner_id == "123456"'),
      },
    ],
  },
]);
