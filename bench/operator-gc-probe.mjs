// Benchmark-only preload (node --expose-gc --import): on SIGUSR2 the operator process collects garbage
// and prints its heap and RSS as a JSON log line, so the memory benchmark measures what the caches hold
// rather than how lazily V8 returns memory. Never part of the operator's image.
process.on("SIGUSR2", () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ message: "gc probe", rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers })}\n`,
  );
});
