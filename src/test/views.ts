import { buildAssetManifest } from "../assets.js";
import { createViewEnvironment } from "../views.js";

/** The real view environment, as the app builds it. */
export function testViews() {
  return createViewEnvironment({ assets: buildAssetManifest() });
}
