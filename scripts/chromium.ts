// Finds (and on a Debian machine where we are root, installs) the Chromium that Playwright drives.
//
// Playwright's own browser download cannot reach its CDN from our machines, so CI uses Debian's
// `chromium` package. A developer laptop that ran `npx playwright install chromium` keeps using
// Playwright's managed browser. Order of preference:
//   1. CHROMIUM_PATH, when set (any Chrome/Chromium binary);
//   2. the Playwright-managed Chromium, when installed (we return undefined and Playwright picks it);
//   3. Debian's /usr/bin/chromium.
//
// Run as a script (`tsx scripts/chromium.ts`) it makes sure one of these exists.
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { chromium } from "@playwright/test";
import { aptInstall } from "./debianPackages.js";

const SYSTEM_CHROMIUM_PATH = "/usr/bin/chromium";
const INSTALL_COMMAND = "sudo apt-get install -y chromium";
const OVERRIDE_COMMAND = "CHROMIUM_PATH=/path/to/chrome";

function chromiumPathOverride(): string | undefined {
  const override = process.env.CHROMIUM_PATH?.trim();
  return override ? override : undefined;
}

function hasPlaywrightManagedChromium(): boolean {
  try {
    return existsSync(chromium.executablePath());
  } catch {
    // executablePath() throws on platforms Playwright has no build for.
    return false;
  }
}

/**
 * The executablePath for Playwright's launchOptions: undefined means "let Playwright use its own
 * managed browser" (or, when nothing is installed, let it fail with its own message).
 */
export function chromiumExecutablePath(): string | undefined {
  const override = chromiumPathOverride();
  if (override) return override;
  if (hasPlaywrightManagedChromium()) return undefined;
  if (existsSync(SYSTEM_CHROMIUM_PATH)) return SYSTEM_CHROMIUM_PATH;
  return undefined;
}

/** Makes sure a browser exists for the e2e suite; throws with the command a person must run if not. */
export async function ensureChromium(): Promise<void> {
  const override = chromiumPathOverride();
  if (override) {
    if (existsSync(override)) return;
    throw new Error(
      `CHROMIUM_PATH points to ${override}, which does not exist. Point it at a Chrome or Chromium binary: ${OVERRIDE_COMMAND}`,
    );
  }
  if (hasPlaywrightManagedChromium() || existsSync(SYSTEM_CHROMIUM_PATH)) return;

  const isDebian = existsSync("/etc/debian_version");
  const isRoot = process.getuid?.() === 0;
  if (!isDebian) {
    throw new Error(`No Chromium found for the browser tests. Run with: ${OVERRIDE_COMMAND}`);
  }
  if (!isRoot) {
    throw new Error(`No Chromium found for the browser tests. Run: ${INSTALL_COMMAND}`);
  }

  await aptInstall("chromium");
  if (!existsSync(SYSTEM_CHROMIUM_PATH)) {
    throw new Error(
      `apt-get installed chromium but ${SYSTEM_CHROMIUM_PATH} is missing. Run with: ${OVERRIDE_COMMAND}`,
    );
  }
}

const isRunAsScript =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isRunAsScript) {
  try {
    await ensureChromium();
    console.log(`Chromium for Playwright: ${chromiumExecutablePath() ?? "Playwright-managed browser"}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
