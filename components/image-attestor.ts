/**
 * ImageAttestor: the Binary Authorization attestor that vouches for our images, backed by the Cloud KMS
 * signing key (ADR 0190). GKE admits an image only when Container Analysis holds an attestation for its
 * digest signed by this key version; the release creates it with the same KMS key that makes the cosign
 * signature (`gcloud container binauthz attestations sign-and-create --keyversion=…`, docs/supply-chain.md).
 *
 * - The attestor's public key is the KMS key version's PEM with the algorithm Binary Authorization names
 *   for EC_SIGN_P384_SHA384 (ECDSA_P384_SHA384), and its id is the KMS version URI, as
 *   `gcloud … attestors public-keys add --keyversion` records it.
 * - The Container Analysis note the attestations hang off is created here too (attestations are
 *   occurrences of that note).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "./naming.js";
import type { SigningAlgorithm } from "./signing-key.js";

/** Binary Authorization's name for each KMS signing algorithm the SigningKey may use. */
export const ATTESTOR_SIGNATURE_ALGORITHMS: Record<SigningAlgorithm, string> = {
  EC_SIGN_P384_SHA384: "ECDSA_P384_SHA384",
  EC_SIGN_P256_SHA256: "ECDSA_P256_SHA256",
};

export interface ImageAttestorArgs {
  project: pulumi.Input<string>;
  /** Attestor (and note) id, e.g. `coditect-release`. */
  attestorName: string;
  /** `projects/…/cryptoKeys/<key>` of the SigningKey. */
  cryptoKeyId: pulumi.Input<string>;
  /** The key version images are signed with now (SigningKey.activeVersion). */
  keyVersion: number;
  algorithm: SigningAlgorithm;
  /** PEM of that version's public key (SigningKey.publicKeyPem). */
  publicKeyPem: pulumi.Input<string>;
  /** Identities that create attestations (the release's build identity): attach to the note, write occurrences. */
  attesterMembers: pulumi.Input<string>[];
}

export class ImageAttestor extends pulumi.ComponentResource {
  readonly note: gcp.containeranalysis.Note;
  readonly attestor: gcp.binaryauthorization.Attestor;
  /** `projects/<p>/attestors/<name>`: what an admission rule's requireAttestationsBies lists. */
  readonly attestorId: pulumi.Output<string>;

  constructor(name: string, args: ImageAttestorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:ImageAttestor", name, {}, opts);
    this.note = new gcp.containeranalysis.Note(
      childName(name, "note"),
      {
        project: args.project,
        name: `${args.attestorName}-note`,
        attestationAuthority: {
          hint: { humanReadableName: "CODITECT release: images built and signed by CI" },
        },
      },
      { parent: this },
    );
    this.attestor = new gcp.binaryauthorization.Attestor(
      childName(name, "attestor"),
      {
        project: args.project,
        name: args.attestorName,
        description: "Images signed by the CODITECT release with the Cloud KMS HSM key",
        attestationAuthorityNote: {
          noteReference: this.note.id,
          publicKeys: [
            {
              id: pulumi.interpolate`//cloudkms.googleapis.com/v1/${args.cryptoKeyId}/cryptoKeyVersions/${args.keyVersion}`,
              pkixPublicKey: {
                publicKeyPem: args.publicKeyPem,
                signatureAlgorithm: ATTESTOR_SIGNATURE_ALGORITHMS[args.algorithm],
              },
            },
          ],
        },
      },
      { parent: this },
    );
    args.attesterMembers.forEach((member, i) => {
      new gcp.containeranalysis.NoteIamMember(
        childName(name, `attacher-${i}`),
        {
          project: args.project,
          note: this.note.name,
          role: "roles/containeranalysis.notes.attacher",
          member,
        },
        { parent: this },
      );
      new gcp.binaryauthorization.AttestorIamMember(
        childName(name, `viewer-${i}`),
        {
          project: args.project,
          attestor: this.attestor.name,
          role: "roles/binaryauthorization.attestorsViewer",
          member,
        },
        { parent: this },
      );
      // Attestations are Container Analysis occurrences in the project (no narrower resource exists).
      new gcp.projects.IAMMember(
        childName(name, `occurrences-${i}`),
        { project: args.project, role: "roles/containeranalysis.occurrences.editor", member },
        { parent: this },
      );
    });
    this.attestorId = this.attestor.id;
    this.registerOutputs({ attestorId: this.attestorId, noteId: this.note.id });
  }
}
