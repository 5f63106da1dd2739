import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { maskValue, renderTable, SECRET_MASK, toPlanDocument, UNKNOWN_MARK } from "./format.js";
import type { RecordedResource } from "./harness.js";
import { ENCRYPTED_PLACEHOLDER, parseStackFile, readStackFile } from "./stack-file.js";

const dir = mkdtempSync(path.join(tmpdir(), "coditect-stack-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseStackFile", () => {
  it("flattens values the way Pulumi hands them to a program", () => {
    const { config, secretKeys } = parseStackFile(
      [
        "config:",
        "  p:name: plain",
        "  p:count: 3",
        "  p:flag: true",
        "  p:object: { a: 1, b: [x] }",
        "  p:token:",
        "    secure: v1:abcdef",
      ].join("\n"),
      "Pulumi.t.yaml",
    );
    expect(config).toEqual({
      "p:name": "plain",
      "p:count": "3",
      "p:flag": "true",
      "p:object": '{"a":1,"b":["x"]}',
      "p:token": ENCRYPTED_PLACEHOLDER,
    });
    expect(secretKeys).toEqual(["p:token"]);
  });

  it("rejects keys without a namespace, naming the key and the file", () => {
    expect(() => parseStackFile("config:\n  region: us-central1\n", "Pulumi.x.yaml")).toThrow(
      /Pulumi\.x\.yaml: config key "region" must be namespaced/,
    );
  });

  it("rejects malformed YAML with the file name", () => {
    expect(() => parseStackFile("config: [unclosed", "Pulumi.y.yaml")).toThrow(
      /Pulumi\.y\.yaml is not valid YAML/,
    );
  });
});

describe("readStackFile", () => {
  it("refuses stack names that are not names", () => {
    expect(() => readStackFile(dir, "../etc")).toThrow(/invalid stack name "\.\.\/etc"/);
  });

  it("says which stack files exist when the asked one does not", () => {
    writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config: {}\n");
    expect(() => readStackFile(dir, "prod")).toThrow(
      /Pulumi\.prod\.yaml does not exist \(stacks here: staging\)/,
    );
  });
});

describe("plan formatting", () => {
  const secret = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: "sk_live_123" };
  const resource: RecordedResource = {
    urn: "urn:pulumi:s::p::gcp:secretmanager/secret:Secret::b",
    type: "gcp:secretmanager/secret:Secret",
    name: "b",
    parent: null,
    custom: true,
    inputs: {
      secretId: "stripe",
      nested: { value: secret, list: [secret] },
      __defaults: [],
      later: pulumi.runtime.unknownValue,
    },
    dependencies: ["urn:z", "urn:a"],
    protect: false,
    provider: null,
    importId: null,
    retainOnDelete: false,
    ignoreChanges: [],
  };

  it("masks secrets at any depth, marks unknowns and drops SDK bookkeeping", () => {
    expect(maskValue(resource.inputs)).toEqual({
      secretId: "stripe",
      nested: { value: SECRET_MASK, list: [SECRET_MASK] },
      later: UNKNOWN_MARK,
    });
  });

  it("produces the documented plan shape, sorted by URN", () => {
    const other = {
      ...resource,
      urn: "urn:pulumi:s::p::a:b:C::a",
      type: "a:b:C",
      name: "a",
      inputs: {},
      dependencies: [],
    };
    const doc = toPlanDocument("p", "s", [resource, other]);
    expect(Object.keys(doc)).toEqual(["project", "stack", "resources"]);
    expect(doc.resources.map((r) => r.name)).toEqual(["a", "b"]);
    expect(Object.keys(doc.resources[1]!)).toEqual([
      "urn",
      "type",
      "name",
      "parent",
      "inputs",
      "dependencies",
    ]);
    expect(doc.resources[1]!.dependencies).toEqual(["urn:a", "urn:z"]);
    expect(JSON.stringify(doc)).not.toContain("sk_live_123");
  });

  it("renders a table with the parent's name and key inputs", () => {
    const child = { ...resource, urn: "urn:c", name: "child", parent: resource.urn };
    const table = renderTable(toPlanDocument("p", "s", [resource, child]));
    expect(table).toMatch(/^Plan for p \/ s: 2 resources/);
    expect(table).toMatch(/gcp:secretmanager\/secret:Secret\s+child\s+b\s+secretId=stripe/);
    expect(table).not.toContain("sk_live_123");
  });
});
