/**
 * Pushes a tiny OCI image (one gzip layer holding one file, its config and manifest) to a registry by
 * digest through the same RegistryClient the signing tools use: something real to sign without building
 * an image (W6 builds the product's images; signing must not depend on them).
 *
 * Test infrastructure.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { DigestReference } from "../../images/signing/reference.js";
import {
  OCI_MANIFEST,
  RegistryClient,
  type RegistryCredentials,
  sha256Digest,
} from "../../images/signing/registry-client.js";

export async function pushTinyImage(
  registry: string,
  repository: string,
  content = `tiny image ${Date.now()} ${Math.random()}`,
  credentials?: RegistryCredentials,
): Promise<DigestReference> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tiny-image-"));
  let tar: Buffer;
  try {
    writeFileSync(path.join(dir, "hello.txt"), content);
    tar = execFileSync("tar", [
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "-c",
      "-C",
      dir,
      "hello.txt",
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const client = new RegistryClient(registry, credentials);
  const layer = await client.pushBlob(repository, gzipSync(tar));
  const config = await client.pushBlob(
    repository,
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["/bin/cat", "/hello.txt"] },
        rootfs: { type: "layers", diff_ids: [sha256Digest(tar)] },
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
    }),
  );
  // Pushed by digest: no tag moves (issue 14 §2).
  const digest = await client.putManifest(repository, sha256Digest(manifest), manifest, OCI_MANIFEST);
  return { registry, repository, digest };
}
