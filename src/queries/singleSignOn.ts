// Whether password sign-in is off for staff: only with OIDC_ONLY, and only once every active account is
// linked to a single sign-on identity, so that turning the setting on never locks anyone out.
import type { Config } from "../config.js";
import type { Database } from "../db.js";

export async function isPasswordSignInOff(db: Database, config: Config): Promise<boolean> {
  if (!config.oidc?.only) return false;
  const unlinked = await db.staffUser.count({ where: { status: "ACTIVE", oidcSubject: null } });
  return unlinked === 0;
}
