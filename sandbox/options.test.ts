import { describe, expect, it } from "vitest";
import {
  COMPONENTS,
  componentsToRun,
  DEFAULT_PORTS,
  parseSandboxOptions,
  SandboxUsageError,
} from "./options.js";

const parse = (argv: string[], env: Record<string, string> = {}) => parseSandboxOptions(argv, env, "/repo");

describe("parseSandboxOptions", () => {
  it("defaults: .data under the working directory, fixed ports, no reset", () => {
    expect(parse([])).toEqual({
      dataDir: "/repo/.data",
      reset: false,
      ports: DEFAULT_PORTS,
      readyTimeoutMs: 120_000,
      supplyChain: true,
    });
    expect(parse(["--no-supply-chain"]).supplyChain).toBe(false);
  });

  it("flags win over environment variables, which win over defaults", () => {
    const options = parse(
      ["--billing-port", "9090", "--data-dir=/tmp/x", "--reset", "--ready-timeout", "30"],
      {
        SANDBOX_BILLING_PORT: "7070",
        SANDBOX_KUBE_PORT: "0",
        SANDBOX_DATA_DIR: "elsewhere",
      },
    );
    expect(options.ports).toEqual({ ...DEFAULT_PORTS, billing: 9090, kube: 0 });
    expect(options.dataDir).toBe("/tmp/x");
    expect(options.reset).toBe(true);
    expect(options.readyTimeoutMs).toBe(30_000);
    expect(parse([], { SANDBOX_DATA_DIR: "state" }).dataDir).toBe("/repo/state");
  });

  it.each([
    [["--billing-port", "http"], /--billing-port must be a port number from 0 to 65535, got "http"/],
    [["--kube-port", "70000"], /--kube-port must be a port number .* got "70000"/],
    [["--stripe-port"], /--stripe-port needs a value/],
    [["--ready-timeout", "0"], /--ready-timeout must be whole seconds from 1 to 3600, got "0"/],
    [["--frobnicate"], /unknown argument "--frobnicate"/],
    [
      ["--billing-port", "9000", "--operator-port", "9000"],
      /billing and operator probes\/metrics are both set to port 9000/,
    ],
  ])("refuses %j with a message naming it", (argv, message) => {
    expect(() => parse(argv)).toThrow(SandboxUsageError);
    expect(() => parse(argv)).toThrow(message);
  });

  it("names a bad environment variable", () => {
    expect(() => parse([], { SANDBOX_OPERATOR_PORT: "-1" })).toThrow(
      /SANDBOX_OPERATOR_PORT must be a port number from 0 to 65535, got "-1"/,
    );
  });

  it("the registry and the fake KMS have ports like the others, and run only with the supply chain on", () => {
    const options = parse(["--registry-port", "5000"], { SANDBOX_KMS_PORT: "0" });
    expect(options.ports).toEqual({ ...DEFAULT_PORTS, registry: 5000, kms: 0 });
    expect(() => parse(["--registry-port", "8080"])).toThrow(
      /billing and OCI registry \(docker-registry\) are both set to port 8080/,
    );
    expect(() => parse(["--kms-port", "x"])).toThrow(/--kms-port must be a port number/);
    expect(componentsToRun(true)).toEqual([...COMPONENTS]);
    expect(componentsToRun(false)).toEqual([
      "kube",
      "stripe",
      "workstations",
      "mail",
      "smtp",
      "billing",
      "operator",
    ]);
  });

  it("the mail catcher has two ports, its web view and its SMTP port, set like the others", () => {
    expect(DEFAULT_PORTS).toMatchObject({ mail: 1080, smtp: 1025 });
    const options = parse(["--mail-port", "0"], { SANDBOX_SMTP_PORT: "2525" });
    expect(options.ports).toMatchObject({ mail: 0, smtp: 2525 });
    expect(() => parse(["--smtp-port", "1080"])).toThrow(
      /mail catcher web view \(maildev\) and mail catcher SMTP \(maildev\) are both set to port 1080/,
    );
  });

  it("several components may ask for a free port (0)", () => {
    const options = parse(["--kube-port", "0", "--billing-port", "0"]);
    expect(options.ports.kube).toBe(0);
    expect(options.ports.billing).toBe(0);
  });
});
