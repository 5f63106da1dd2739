import { inject } from "vitest";
import { createTestDatabase } from "./server.js";

/** A fresh, empty database on the run's real PostgreSQL server (started by global-setup.ts). */
export function testDatabase(prefix = "test"): Promise<string> {
  return createTestDatabase(inject("postgresAdminUrl"), prefix);
}
