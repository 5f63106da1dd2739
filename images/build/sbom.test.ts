import { describe, expect, it } from "vitest";
import { bundledNpmPackages, parseDpkgStatus, purl, spdxDocument } from "./sbom.js";

const STATUS = `Package: sudo
Status: deinstall ok config-files
Architecture: amd64
Version: 1.9.13p3-1+deb12u4

Package: ca-certificates
Status: install ok installed
Architecture: all
Version: 20230311

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries
 Contains the standard libraries.
`;

describe("parseDpkgStatus", () => {
  it("lists installed packages only (a purged package's leftover configuration is not installed)", () => {
    expect(parseDpkgStatus(STATUS)).toEqual([
      { ecosystem: "deb", name: "ca-certificates", version: "20230311", arch: "all" },
      { ecosystem: "deb", name: "libc6", version: "2.36-9+deb12u10", arch: "amd64" },
    ]);
  });
});

describe("bundledNpmPackages", () => {
  it("maps esbuild inputs to packages, scoped and nested, once each, with their versions", () => {
    const versions: Record<string, string> = {
      "node_modules/zod": "4.6.7",
      "node_modules/@scope/pkg": "1.0.0",
      "node_modules/a/node_modules/b": "2.0.0",
    };
    const found = bundledNpmPackages(
      [
        "images/agent/main.ts",
        "node_modules/zod/v4/index.js",
        "node_modules/zod/v4/core.js",
        "node_modules/@scope/pkg/dist/x.js",
        "node_modules/a/node_modules/b/index.js",
        "node_modules/unversioned/index.js",
      ],
      (dir) => versions[dir],
    );
    expect(found.map((p) => `${p.name}@${p.version}`)).toEqual(["@scope/pkg@1.0.0", "b@2.0.0", "zod@4.6.7"]);
  });
});

describe("purl", () => {
  it("writes Debian and npm package URLs, encoding scopes and versions", () => {
    expect(purl({ ecosystem: "deb", name: "libc6", version: "2.36-9+deb12u10", arch: "amd64" })).toBe(
      "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64",
    );
    expect(purl({ ecosystem: "npm", name: "@google-cloud/kms", version: "6.3.0" })).toBe(
      "pkg:npm/%40google-cloud/kms@6.3.0",
    );
  });
});

describe("spdxDocument", () => {
  it("describes the image by its digest and relates every package to it with valid SPDX ids", () => {
    const doc = spdxDocument(
      { name: "docker", imageId: "sha256:abc123", baseImages: { NODE_IMAGE: "localhost/x:1" } },
      [{ ecosystem: "npm", name: "@scope/pkg", version: "1.0.0+build" }],
      new Date("2026-12-06T07:00:00.123Z"),
    );
    expect(doc).toMatchObject({
      spdxVersion: "SPDX-2.3",
      documentNamespace: "https://coditect.ai/spdx/images/docker/abc123",
      creationInfo: { created: "2026-12-06T07:00:00Z" },
    });
    expect(doc.packages[0]).toMatchObject({
      SPDXID: "SPDXRef-Image-docker",
      checksums: [{ checksumValue: "abc123" }],
    });
    const ids = doc.packages.map((p) => p.SPDXID);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(doc.relationships).toContainEqual({
      spdxElementId: "SPDXRef-Image-docker",
      relationshipType: "CONTAINS",
      relatedSpdxElement: ids[1],
    });
  });
});
