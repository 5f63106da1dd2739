import { describe, expect, it } from "vitest";
import { jsonLineSink } from "../test-support/log-lines.js";
import { createServiceLogger, parseTraceContext, traceFields } from "./logger.js";

function capture() {
  const { lines, stream } = jsonLineSink();
  return { lines, destination: stream };
}

describe("createServiceLogger", () => {
  it.each([
    ["debug", "DEBUG"],
    ["info", "INFO"],
    ["warn", "WARNING"],
    ["error", "ERROR"],
    ["fatal", "CRITICAL"],
  ] as const)("pino %s is Cloud Logging severity %s", (level, severity) => {
    const { lines, destination } = capture();
    const logger = createServiceLogger({ service: "operator", level: "trace", destination });
    logger[level]({ detail: 1 }, "something happened");
    expect(lines).toEqual([
      { severity, time: expect.any(String), service: "operator", detail: 1, message: "something happened" },
    ]);
  });

  it("logs errors with their stack under err and keeps base fields", () => {
    const { lines, destination } = capture();
    const logger = createServiceLogger({ service: "agent", destination, base: { identity: "pod-1" } });
    logger.error({ err: new Error("boom") }, "failed");
    expect(lines[0]).toMatchObject({
      severity: "ERROR",
      service: "agent",
      identity: "pod-1",
      message: "failed",
      err: { message: "boom", stack: expect.stringContaining("Error: boom") },
    });
  });

  it("names a bad level", () => {
    expect(() => createServiceLogger({ service: "billing", level: "verbose" })).toThrow(/"verbose"/);
  });
});

describe("trace context", () => {
  it.each([
    [
      "traceparent",
      { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        sampled: true,
      },
    ],
    [
      "X-Cloud-Trace-Context with a decimal span",
      { cloudTraceContext: "0AF7651916CD43DD8448EB211C80319C/255;o=0" },
      {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "00000000000000ff",
        sampled: false,
      },
    ],
    [
      "X-Cloud-Trace-Context without span",
      { cloudTraceContext: "0af7651916cd43dd8448eb211c80319c" },
      {
        traceId: "0af7651916cd43dd8448eb211c80319c",
      },
    ],
  ])("reads %s", (_n, headers, expected) => {
    expect(parseTraceContext(headers)).toEqual(expected);
  });

  it.each([
    ["an all-zero trace", { traceparent: "00-00000000000000000000000000000000-b7ad6b7169203331-01" }],
    ["a short id", { cloudTraceContext: "abc/1" }],
    ["garbage", { traceparent: "hello", cloudTraceContext: "x;o=1" }],
    [
      "a span id beyond 64 bits",
      { cloudTraceContext: "0af7651916cd43dd8448eb211c80319c/99999999999999999999" },
    ],
  ])("ignores %s", (name, headers) => {
    const context = parseTraceContext(headers);
    if (name.startsWith("a span id"))
      expect(context).toEqual({ traceId: "0af7651916cd43dd8448eb211c80319c" });
    else expect(context).toBeUndefined();
  });

  it("builds the trace resource name only with a project id", () => {
    const context = {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      sampled: true,
    };
    expect(traceFields(context, "my-project")).toEqual({
      "logging.googleapis.com/trace": "projects/my-project/traces/0af7651916cd43dd8448eb211c80319c",
      "logging.googleapis.com/spanId": "b7ad6b7169203331",
      "logging.googleapis.com/trace_sampled": true,
    });
    expect(traceFields(context, undefined)).toEqual({ traceId: "0af7651916cd43dd8448eb211c80319c" });
    expect(traceFields(undefined, "my-project")).toEqual({});
  });
});
