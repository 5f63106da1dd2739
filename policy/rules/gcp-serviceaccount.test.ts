import { ruleCases } from "../testing/rule-cases.js";
import { policy as pullTokenCreatorOnly } from "./gcp-serviceaccount-iammember-pull-identity-token-creator-only.js";

ruleCases([
  {
    policy: pullTokenCreatorOnly,
    breaks: [
      {
        title: "a pull identity grants billing something broader than token creation",
        resource: "pull-pro-token-issuer",
        mutate: (i) => (i.role = "roles/iam.serviceAccountUser"),
        message: /roles\/iam.serviceAccountUser to serviceAccount:billing@.* on pull identity pull-pro/,
      },
      {
        title: "a pull identity lets someone other than billing mint its tokens",
        resource: "pull-pro-token-issuer",
        mutate: (i) => (i.member = "user:dev@coditect.ai"),
        message: /to user:dev@coditect.ai on pull identity pull-pro/,
      },
      {
        title: "billing may impersonate another service account",
        resource: "pull-pro-token-issuer",
        mutate: (i) => (i.serviceAccountId = "projects/coditect-citus-prod/serviceAccounts/release-signer@x"),
        message: /to billing .* not a registry pull identity/,
      },
      {
        title: "billing holds no token creator on a pull identity",
        resource: "pull-pro-account",
        mutate: (_i, plan) => {
          plan.resources = plan.resources.filter((r) => r.name !== "pull-pro-token-issuer");
        },
        message: /billing holds no roles\/iam.serviceAccountTokenCreator on pull identity pull-pro/,
      },
    ],
    passes: [
      {
        title: "the grant names the account by email only",
        resource: "pull-pro-token-issuer",
        mutate: (i) => (i.serviceAccountId = "pull-pro@coditect-citus-prod.iam.gserviceaccount.com"),
      },
    ],
  },
]);
