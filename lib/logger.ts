/**
 * The one logger factory of billing, the operator and the session agent: JSON lines in the shape Cloud
 * Logging reads from a container's stdout/stderr (docs/observability.md, ADR 0131):
 *   {"severity":"WARNING","time":"…","service":"billing","message":"…", …fields}
 * `severity` carries Cloud Logging's names (pino's numeric `level` would be stored as DEFAULT), `message`
 * is the field Cloud Logging shows as the entry's summary (pino's `msg` would not be), and `service` says
 * which of the three wrote the line. Request and trace ids come from `traceFields` below.
 */
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/** pino level → Cloud Logging LogSeverity (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#LogSeverity). */
export const CLOUD_LOGGING_SEVERITY: Readonly<Record<string, string>> = {
  trace: "DEBUG",
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export interface ServiceLoggerOptions {
  /** billing | operator | agent: the `service` field of every line. */
  service: string;
  /** pino level name (default info). */
  level?: string;
  /** Paths redacted to "[redacted]" (pino redact syntax). */
  redact?: readonly string[];
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
  /** Extra fields on every line (e.g. the operator's identity). */
  base?: Record<string, unknown>;
}

export function createServiceLogger(options: ServiceLoggerOptions): Logger {
  const level = options.level ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`log level "${level}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  const config: pino.LoggerOptions = {
    level,
    messageKey: "message",
    base: { service: options.service, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ severity: CLOUD_LOGGING_SEVERITY[label] ?? "DEFAULT" }),
    },
    ...(options.redact?.length ? { redact: { paths: [...options.redact], censor: "[redacted]" } } : {}),
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

export interface BufferedStdoutOptions {
  /** Lines are written once this many bytes have gathered (default 4096, about ten request lines). */
  minBytes?: number;
  /** …and at least this often, so a quiet process's lines are not held (default 200 ms). */
  flushIntervalMs?: number;
}

/**
 * Stdout for a busy server process (billing, ADR 0306): lines gather in memory and go out together — one
 * write for about ten request lines instead of one each, the write being a system call that cost as much
 * as the rest of the logging. No line is dropped: a line waits at most `flushIntervalMs`, and pino flushes
 * the buffer synchronously when the process exits (process.exit, the end of the event loop, an uncaught
 * exception); only a SIGKILL or a crash of the runtime itself loses the last interval's lines.
 */
export function bufferedStdout(options: BufferedStdoutOptions = {}): DestinationStream {
  return pino.destination({
    dest: 1,
    sync: false,
    minLength: options.minBytes ?? 4096,
    periodicFlush: options.flushIntervalMs ?? 200,
  });
}

/** Trace id (32 hex) and span id (16 hex) of an incoming request, or undefined. */
export interface TraceContext {
  traceId: string;
  spanId?: string;
  sampled?: boolean;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const CLOUD_TRACE = /^([\da-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/;
const ZERO_TRACE = /^0+$/;

/**
 * Reads W3C `traceparent` (preferred) or Google's `X-Cloud-Trace-Context: TRACE/SPAN;o=1` (what Google's
 * load balancers add). Malformed or all-zero ids are ignored rather than logged.
 */
export function parseTraceContext(headers: {
  traceparent?: string | undefined;
  cloudTraceContext?: string | undefined;
}): TraceContext | undefined {
  const w3c = headers.traceparent ? TRACEPARENT.exec(headers.traceparent.trim()) : null;
  if (w3c && !ZERO_TRACE.test(w3c[1]!) && !ZERO_TRACE.test(w3c[2]!)) {
    return { traceId: w3c[1]!, spanId: w3c[2]!, sampled: (Number.parseInt(w3c[3]!, 16) & 1) === 1 };
  }
  const google = headers.cloudTraceContext ? CLOUD_TRACE.exec(headers.cloudTraceContext.trim()) : null;
  if (google && !ZERO_TRACE.test(google[1]!)) {
    const context: TraceContext = { traceId: google[1]!.toLowerCase() };
    // The Google header's span id is decimal; Cloud Logging wants the 16-hex-digit form.
    if (google[2] && google[2] !== "0") {
      const span = BigInt(google[2]);
      if (span < 2n ** 64n) context.spanId = span.toString(16).padStart(16, "0");
    }
    if (google[3] !== undefined) context.sampled = google[3] === "1";
    return context;
  }
  return undefined;
}

/**
 * The special fields that make Cloud Logging group a request's lines under its trace. They need the
 * project id (`projects/P/traces/T`); without one the bare trace id is logged as `traceId`.
 */
export function traceFields(
  context: TraceContext | undefined,
  projectId: string | undefined,
): Record<string, string | boolean> {
  if (!context) return {};
  if (!projectId) return { traceId: context.traceId };
  return {
    "logging.googleapis.com/trace": `projects/${projectId}/traces/${context.traceId}`,
    ...(context.spanId ? { "logging.googleapis.com/spanId": context.spanId } : {}),
    ...(context.sampled !== undefined ? { "logging.googleapis.com/trace_sampled": context.sampled } : {}),
  };
}
