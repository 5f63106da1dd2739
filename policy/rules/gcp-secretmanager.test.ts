import { ruleCases } from "../testing/rule-cases.js";
import { policy as cmek } from "./gcp-secretmanager-secret-cmek.js";
import { policy as noPublicIam } from "./gcp-secretmanager-secret-no-public-iam.js";

ruleCases([
  {
    policy: noPublicIam,
    breaks: [
      {
        title: "the secret is readable by allUsers",
        resource: "stripe-key-reader",
        mutate: (i) => (i.member = "allUsers"),
        message:
          /Secret Manager IAM grants roles\/secretmanager.secretAccessor to the public member allUsers/,
      },
    ],
  },
  {
    policy: cmek,
    breaks: [
      {
        title: "automatic replication has no CMEK",
        resource: "stripe-key",
        mutate: (i) => (i.replication = { auto: {} }),
        message: /replication.auto.customerManagedEncryption.kmsKeyName is unset/,
      },
      {
        title: "a user-managed replica has no CMEK",
        resource: "stripe-key",
        mutate: (i) =>
          (i.replication = {
            userManaged: {
              replicas: [
                { location: "us-central1", customerManagedEncryption: { kmsKeyName: "k" } },
                { location: "us-east1" },
              ],
            },
          }),
        message: /replica in us-east1 has no customerManagedEncryption/,
      },
    ],
  },
]);
