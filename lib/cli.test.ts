import { describe, expect, it } from "vitest";
import { helpRequested, interpretCommandLine } from "./cli.js";

const spec = {
  name: "demo",
  usage: "usage: demo [--port <p>] [--json] [<file>]",
  options: { port: { type: "string", default: "8080" }, json: { type: "boolean" } },
  maxPositionals: 1,
} as const;

describe("interpretCommandLine", () => {
  it("answers help for --help or -h wherever it stands before --, ignoring everything else", () => {
    expect(interpretCommandLine(spec, ["--help"])).toEqual({ kind: "help", text: spec.usage });
    expect(interpretCommandLine(spec, ["--port", "1", "-h"]).kind).toBe("help");
    expect(interpretCommandLine(spec, ["--bogus", "--help"]).kind).toBe("help");
  });

  it("treats --help after -- as the payload's, not the command's", () => {
    expect(helpRequested(["run", "--", "bash", "--help"])).toBe(false);
    expect(interpretCommandLine(spec, ["--", "--help"])).toMatchObject({
      kind: "run",
      positionals: ["--help"],
    });
  });

  it("names an unknown flag", () => {
    expect(interpretCommandLine(spec, ["--prot", "1"])).toEqual({
      kind: "error",
      message: "unknown option '--prot'",
    });
  });

  it("names a surplus positional argument", () => {
    expect(interpretCommandLine(spec, ["a.yaml", "b.yaml"])).toEqual({
      kind: "error",
      message: "unexpected argument 'b.yaml'",
    });
    expect(interpretCommandLine({ name: "x", usage: "u" }, ["stray"])).toEqual({
      kind: "error",
      message: "unexpected argument 'stray'",
    });
  });

  it("says which flag lacks its value", () => {
    const line = interpretCommandLine(spec, ["--port"]);
    expect(line.kind).toBe("error");
    expect(line.kind === "error" && line.message).toContain("--port");
  });

  it("returns values with defaults and positionals", () => {
    expect(interpretCommandLine(spec, ["--json", "--port=9", "out.yaml"])).toEqual({
      kind: "run",
      values: { json: true, port: "9" },
      positionals: ["out.yaml"],
    });
    expect(interpretCommandLine(spec, [])).toMatchObject({ values: { port: "8080" } });
  });
});
