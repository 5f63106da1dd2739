/**
 * Vitest global setup: one real PostgreSQL server per test run, shared by every test file.
 * Each test file creates its own database with `testDatabase()` from ./index.ts, so files stay isolated.
 */
import type { TestProject } from "vitest/node";
import { type PostgresServer, startPostgres } from "./server.js";

let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startPostgres();
  project.provide("postgresAdminUrl", server.adminUrl);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}
