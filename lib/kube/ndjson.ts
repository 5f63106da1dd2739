/**
 * Splits a watch stream into its lines (newline-delimited JSON). Chunks from the socket end anywhere: in
 * the middle of a line or of a multi-byte UTF-8 character, so bytes are decoded as a stream and only
 * complete lines are handed out (pure; no I/O).
 */
export class LineSplitter {
  readonly #decoder = new TextDecoder("utf-8", { fatal: false });
  #partial = "";

  /** The complete, non-blank lines this chunk finishes (without their newline). */
  push(chunk: Uint8Array | string): string[] {
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    const parts = (this.#partial + text).split("\n");
    this.#partial = parts.pop() ?? "";
    return parts.map((line) => line.trim()).filter((line) => line !== "");
  }

  /** What is left after the stream ended: a last line without a newline, or "" (a cut-off line stays here). */
  end(): string {
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = "";
    return rest.trim();
  }
}
