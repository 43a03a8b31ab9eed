import { defineConfig } from "prisma/config";

// Used by `prisma generate` only: migrations are applied and written by scripts/db.ts through Prisma's
// WASM schema engine, because the CLI's native engine cannot be downloaded on our machines.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
