// Benchmark-only preload (node --expose-gc --import): on SIGUSR2 the operator process collects garbage
// and prints its heap and RSS as a JSON log line, so the memory benchmark measures what the caches hold
// rather than how lazily V8 returns memory. It also classifies the resident memory from
// /proc/self/smaps (ADR 0320: which part of RSS is V8's heap, malloc's arenas, code files) because a
// forced GC alone cannot say where non-heap RSS goes. Never part of the operator's image.
import { readFileSync } from "node:fs";
import v8 from "node:v8";

const MiB = 2 ** 20;
// glibc's per-thread malloc arenas are 64 MiB reservations aligned to 64 MiB (HEAP_MAX_SIZE on 64-bit):
// a read-write part followed by PROT_NONE, which is how they are told apart from V8's own mmaps.
const ARENA = 64 * MiB;
const V8_PAGE = 256n * 1024n;
const TOP_DOWN_AREA = 0x7f0000000000n;

/** Resident bytes of the process by kind of mapping, from /proc/self/smaps. */
function smapsByKind() {
  const kinds = { mainArena: 0, threadArenas: 0, otherAnonymous: 0, files: 0, stacksAndSpecial: 0 };
  const anonymous = { total: 0, privateDirty: 0 };
  const text = readFileSync("/proc/self/smaps", "utf8");
  const maps = [];
  let current;
  for (const line of text.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      current = {
        start: BigInt(`0x${head[1]}`),
        end: BigInt(`0x${head[2]}`),
        perms: head[3],
        path: head[4],
        rss: 0,
        dirty: 0,
      };
      maps.push(current);
    } else if (current) {
      const field = /^(Rss|Private_Dirty):\s+(\d+) kB/.exec(line);
      if (field?.[1] === "Rss") current.rss = Number(field[2]) * 1024;
      if (field?.[1] === "Private_Dirty") current.dirty = Number(field[2]) * 1024;
    }
  }
  const arena = BigInt(ARENA);
  const other = [];
  const v8Like = { rss: 0, mappings: 0 };
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    if (m.path === "[heap]") kinds.mainArena += m.rss;
    else if (m.path.startsWith("/")) kinds.files += m.rss;
    else if (m.path.startsWith("[")) kinds.stacksAndSpecial += m.rss;
    else {
      const next = maps[i + 1];
      const arenaLike =
        m.start % arena === 0n &&
        (m.end - m.start === arena ||
          (next &&
            next.path === "" &&
            next.perms.startsWith("---") &&
            next.start === m.end &&
            next.end - m.start === arena));
      if (arenaLike) kinds.threadArenas += m.rss;
      else {
        kinds.otherAnonymous += m.rss;
        other.push(m);
        // V8 maps its pages at random hinted addresses, aligned to its 256 KiB page; malloc's large blocks
        // and thread stacks come from the kernel's top-down area next to the libraries (0x7f…).
        if (m.start % V8_PAGE === 0n && m.start < TOP_DOWN_AREA) {
          v8Like.rss += m.rss;
          v8Like.mappings += 1;
        }
      }
    }
    if (!m.path.startsWith("/")) {
      anonymous.total += m.rss;
      anonymous.privateDirty += m.dirty;
    }
  }
  // The largest of the rest, to tell V8's 256 KiB-aligned pages from WebAssembly memories (undici's llhttp:
  // gigabytes reserved) and large malloc mmaps.
  const largestOtherAnonymous = other
    .sort((a, b) => b.rss - a.rss)
    .slice(0, 12)
    .map((m) => ({
      start: `0x${m.start.toString(16)}`,
      sizeKiB: Number((m.end - m.start) / 1024n),
      rssKiB: m.rss / 1024,
      perms: m.perms,
    }));
  return { ...kinds, v8LikeAnonymous: v8Like, anonymous, mappings: maps.length, largestOtherAnonymous };
}

process.on("SIGUSR2", () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  const spaces = Object.fromEntries(
    v8
      .getHeapSpaceStatistics()
      .map((s) => [
        s.space_name,
        { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size },
      ]),
  );
  let rollup;
  try {
    rollup = Object.fromEntries(
      readFileSync("/proc/self/smaps_rollup", "utf8")
        .split("\n")
        .map((l) => /^(\w+):\s+(\d+) kB/.exec(l))
        .filter(Boolean)
        .map((r) => [r[1], Number(r[2]) * 1024]),
    );
  } catch {
    rollup = undefined;
  }
  process.stdout.write(
    `${JSON.stringify({
      message: "gc probe",
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      v8: {
        totalPhysicalSize: heap.total_physical_size,
        totalHeapSize: heap.total_heap_size,
        mallocedMemory: heap.malloced_memory,
        peakMallocedMemory: heap.peak_malloced_memory,
        heapSizeLimit: heap.heap_size_limit,
        spaces,
      },
      smaps: smapsByKind(),
      rollup: rollup && {
        Rss: rollup.Rss,
        Anonymous: rollup.Anonymous,
        Private_Dirty: rollup.Private_Dirty,
        Shared_Clean: rollup.Shared_Clean,
        Private_Clean: rollup.Private_Clean,
      },
    })}\n`,
  );
});
