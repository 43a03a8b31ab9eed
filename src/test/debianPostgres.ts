// Debian's PostgreSQL server, for tests that need the programs a production host has (pg_dump and
// pg_restore of scripts/backup and scripts/restore must be at least the server's major version, and
// Debian 12 ships 15, while the embedded server is 18).
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

const DEBIAN_POSTGRES_ROOT = "/usr/lib/postgresql";

/** /usr/lib/postgresql/<newest major>/bin when its initdb is installed (package postgresql), else undefined. */
export function debianPostgresBinDir(): string | undefined {
  if (!existsSync(DEBIAN_POSTGRES_ROOT)) return undefined;
  const majors = readdirSync(DEBIAN_POSTGRES_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = path.join(DEBIAN_POSTGRES_ROOT, major, "bin");
    if (existsSync(path.join(bin, "initdb")) && existsSync(path.join(bin, "pg_ctl"))) return bin;
  }
  return undefined;
}
