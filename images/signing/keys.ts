/** Public-key helpers shared by signing and verification. */
import crypto from "node:crypto";

/** base64 SHA-256 of the key's DER SubjectPublicKeyInfo: the key hint recorded in bundles. */
export function keyHint(pem: string): string {
  const der = crypto.createPublicKey(pem).export({ type: "spki", format: "der" });
  return crypto.createHash("sha256").update(der).digest("base64");
}

/** The digest a key signs with: SHA-384 for P-384 (the HSM key), SHA-256 for P-256. */
export function keyDigestAlgorithm(pem: string): "sha384" | "sha256" {
  const key = crypto.createPublicKey(pem);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== "ec" || (curve !== "secp384r1" && curve !== "prime256v1")) {
    throw new Error(
      `unsupported signing key (${key.asymmetricKeyType} ${curve ?? ""}): expected EC P-384 or P-256`,
    );
  }
  return curve === "secp384r1" ? "sha384" : "sha256";
}
