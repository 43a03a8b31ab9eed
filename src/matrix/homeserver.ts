// The homeserver as the web process uses it: one admin client and one status cache per app, shared by
// the tokens page and the case page, so that together they still ask the homeserver's list at most once
// per CACHE_TTL_MS (matrix/registrationTokenStatus.ts). Created once by main.ts (or per test by
// src/test/app.ts) and passed down in AppDependencies. Null when the feature is off.
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { createHomeserverStatusSource, type HomeserverStatusSource } from "./registrationTokenStatus.js";
import { createSynapseAdmin, type SynapseAdmin, SynapseAdminError } from "./synapseAdmin.js";

export interface Homeserver {
  synapse: SynapseAdmin;
  status: HomeserverStatusSource;
}

export function createHomeserver(config: Config, logger: Logger): Homeserver | null {
  if (!config.matrix) return null;
  const synapse = createSynapseAdmin(config.matrix);
  const matrixLogger = logger.child({ category: "matrix" });
  return {
    synapse,
    status: createHomeserverStatusSource(synapse, config.staff.totpKey, {
      onError: (error) =>
        matrixLogger.warn(
          { err: error instanceof SynapseAdminError ? error.message : "unknown error" },
          "the homeserver's registration tokens could not be listed",
        ),
    }),
  };
}
