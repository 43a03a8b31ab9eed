// clamd for the e2e app (src/test/clamd.ts: our own signatures, EICAR among them), on a loopback TCP
// port: the browser tests run the portal as production does, with EVIDENCE_SCAN=required.
// playwright.config.ts starts it before the app (webServer) and gives the app CLAMAV_HOST/CLAMAV_PORT.
import { startTestClamd } from "../src/test/clamd.js";

const port = Number(process.env.E2E_CLAMD_PORT);
if (!port) throw new Error("E2E_CLAMD_PORT is required");
const clamd = await startTestClamd({ tcpPort: port });
process.stdout.write(`clamd listening on 127.0.0.1:${port}\n`);

async function stop(): Promise<void> {
  await clamd.close();
  process.exit(0);
}
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
