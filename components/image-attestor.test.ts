/** ImageAttestor under mocks: the Binary Authorization attestor backed by the KMS signing key. */
import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, resolveOutput, startRecording } from "../stacks/plan/harness.js";
import { ImageAttestor } from "./image-attestor.js";

const KEY =
  "projects/proj-test-1/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key";
const PEM = "-----BEGIN PUBLIC KEY-----\nMHYw…\n-----END PUBLIC KEY-----\n";
const BUILD = "serviceAccount:coditect-ci@proj-test-1.iam.gserviceaccount.com";

let rec: Recording;
let attestor: ImageAttestor;
beforeAll(async () => {
  rec = await startRecording({ project: "coditect-control-plane", stack: "test" });
  attestor = new ImageAttestor("release", {
    project: "proj-test-1",
    attestorName: "coditect-release",
    cryptoKeyId: KEY,
    keyVersion: 2,
    algorithm: "EC_SIGN_P384_SHA384",
    publicKeyPem: PEM,
    attesterMembers: [BUILD],
  });
  await rec.settle();
});

describe("ImageAttestor", () => {
  it("holds the KMS key version's public key as an ECDSA_P384_SHA384 PKIX key, with gcloud's KMS key id", () => {
    const inputs = rec.get("gcp:binaryauthorization/attestor:Attestor", "release-attestor").inputs;
    expect(inputs).toMatchObject({
      name: "coditect-release",
      attestationAuthorityNote: {
        noteReference: "projects/proj-test-1/notes/coditect-release-note",
        publicKeys: [
          {
            id: `//cloudkms.googleapis.com/v1/${KEY}/cryptoKeyVersions/2`,
            pkixPublicKey: { publicKeyPem: PEM, signatureAlgorithm: "ECDSA_P384_SHA384" },
          },
        ],
      },
    });
  });

  it("lets the build identity attach attestations, and nothing broader", () => {
    expect(
      rec.get("gcp:containeranalysis/noteIamMember:NoteIamMember", "release-attacher-0").inputs,
    ).toMatchObject({
      role: "roles/containeranalysis.notes.attacher",
      member: BUILD,
    });
    expect(rec.get("gcp:projects/iAMMember:IAMMember", "release-occurrences-0").inputs).toMatchObject({
      role: "roles/containeranalysis.occurrences.editor",
      member: BUILD,
    });
  });

  it("exports the attestor id an admission rule requires", async () => {
    expect(await resolveOutput(attestor.attestorId)).toBe("projects/proj-test-1/attestors/coditect-release");
  });
});
