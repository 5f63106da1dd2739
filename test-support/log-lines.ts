/**
 * A writable stream that collects JSON log lines, for tests of what the services log: `lines` holds each
 * line parsed, `raw` the text as written (field order matters to Cloud Logging readers of the raw line).
 */
import { Writable } from "node:stream";

export function jsonLineSink(): { lines: Record<string, unknown>[]; raw: string[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, raw, stream };
}
