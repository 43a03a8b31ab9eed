// The fake Synapse admin API (src/test/fakeSynapse.ts) as a server of its own for the e2e app: no real
// Synapse can run on these machines. playwright.config.ts starts it before the app (webServer) on a
// fixed port, and gives the app MATRIX_HOMESERVER_URL and MATRIX_ADMIN_TOKEN pointing at it, so an
// approval's registration token is really created over HTTP by the app's worker. It also answers the
// client-server API's room-message, room-creation and membership endpoints (the staff room's notices and
// the Matrix ID proof's direct messages, with the fake's bot token).
import { startFakeSynapse } from "../src/test/fakeSynapse.js";

// Both set by playwright.config.ts, which gives the same values to the app.
const port = Number(process.env.E2E_FAKE_SYNAPSE_PORT);
const adminToken = process.env.E2E_FAKE_SYNAPSE_ADMIN_TOKEN;
if (!port || !adminToken)
  throw new Error("E2E_FAKE_SYNAPSE_PORT and E2E_FAKE_SYNAPSE_ADMIN_TOKEN are required");
const synapse = await startFakeSynapse({ port, adminToken });
process.stdout.write(`fake Synapse (admin and client-server APIs) listening on ${synapse.url.origin}\n`);

async function stop(): Promise<void> {
  await synapse.close();
  process.exit(0);
}
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
