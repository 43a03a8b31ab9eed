// The two forms that email a link to a typed address ("forgot your password?" for staff, "email me a
// link" for applicants) must not tell, by how long they take, whether the address has an account or a
// case. Both forms' requests do the same work for every address (count the limits, enqueue one job);
// the job looks the address up (src/jobs/sendRequestedLink.ts).
//
// How the test decides, robustly on a loaded two-core machine: requests for a known and an unknown
// address are sent in interleaved pairs (the order alternating within pairs), so a slow spell of the
// machine slows both halves of a pair alike; each pair gives one difference (known − unknown), and the
// median of those differences must stay within 25 % of the median unknown request, and never below a
// floor of 0.5 ms. The relative part grows with the machine's load (both halves slow down together);
// the floor keeps a quiet machine's jitter from failing the test. Medians ignore the outliers (a GC
// pause, a checkpoint, the other core busy) that would swing a mean, and 200 pairs make the median
// difference stable to about a tenth of a millisecond. A significance test (Wilcoxon, Mann-Whitney)
// would flag any real difference however small (one index probe more), which is not what leaks: the
// threshold is on the size of the difference. On the code this replaced, a known address cost a lookup
// plus a transaction writing an outbox row, a job and an audit row: about 2 ms on a 2 ms request, twice
// the unknown address's time and three times the threshold.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../test/app.js";
import { TestBrowser } from "../test/browser.js";
import { truncateTables } from "../test/reset.js";
import { createStaffMember } from "../test/staff.js";

const PAIRS = 200;
const WARM_UP_PAIRS = 20;
const RELATIVE_THRESHOLD = 0.25;
const ABSOLUTE_FLOOR_MS = 0.5;

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(async () => {
  await testApp.close();
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Milliseconds one form post takes, answer read in full, with the limits counted afresh. */
async function timedPost(page: TestBrowser, path: string, email: string, expectedStatus: number) {
  // The per-address limits (3 or 5 an hour) would otherwise stop the work after a few requests and
  // make both addresses cheap; clearing them between requests keeps every request doing the full work.
  await testApp.db.$executeRawUnsafe("DELETE FROM rate_limits");
  const startedAt = process.hrtime.bigint();
  const { response } = await page.post(path, { email });
  const elapsedMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
  assert.equal(response.status, expectedStatus);
  return elapsedMs;
}

async function comparePairs(options: {
  formPath: string;
  postPath: string;
  knownEmail: string;
  unknownEmail: string;
  expectedStatus: number;
}) {
  const page = new TestBrowser(testApp.baseUrl);
  await page.get(options.formPath);
  const differences: number[] = [];
  const unknownTimes: number[] = [];
  const knownTimes: number[] = [];
  for (let pair = 0; pair < WARM_UP_PAIRS + PAIRS; pair += 1) {
    const knownFirst = pair % 2 === 0;
    const first = knownFirst ? options.knownEmail : options.unknownEmail;
    const second = knownFirst ? options.unknownEmail : options.knownEmail;
    const firstMs = await timedPost(page, options.postPath, first, options.expectedStatus);
    const secondMs = await timedPost(page, options.postPath, second, options.expectedStatus);
    if (pair < WARM_UP_PAIRS) continue;
    const knownMs = knownFirst ? firstMs : secondMs;
    const unknownMs = knownFirst ? secondMs : firstMs;
    knownTimes.push(knownMs);
    unknownTimes.push(unknownMs);
    differences.push(knownMs - unknownMs);
  }
  const medianUnknown = median(unknownTimes);
  const medianDifference = median(differences);
  const threshold = Math.max(RELATIVE_THRESHOLD * medianUnknown, ABSOLUTE_FLOOR_MS);
  const summary =
    `median known ${median(knownTimes).toFixed(2)} ms, unknown ${medianUnknown.toFixed(2)} ms, ` +
    `median paired difference ${medianDifference.toFixed(2)} ms (threshold ±${threshold.toFixed(2)} ms)`;
  assert.ok(Math.abs(medianDifference) <= threshold, summary);
  return summary;
}

describe("link requests take as long for an unknown address as for a known one", () => {
  test(`POST /staff/password-reset: ${PAIRS} interleaved pairs`, async (t) => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const summary = await comparePairs({
      formPath: "/staff/password-reset",
      postPath: "/staff/password-reset",
      knownEmail: member.email,
      unknownEmail: "nobody-here@example.org",
      expectedStatus: 200,
    });
    t.diagnostic(summary);
  });

  test(`POST /apply/sign-in ("email me a link"): ${PAIRS} interleaved pairs`, async (t) => {
    await testApp.db.vettingCase.create({
      data: { origin: "APPLICANT", fullName: "Kim Known", email: "kim@example.org", statement: "Hello" },
    });
    const summary = await comparePairs({
      formPath: "/apply/sign-in",
      postPath: "/apply/sign-in",
      knownEmail: "kim@example.org",
      unknownEmail: "nobody-applied@example.org",
      expectedStatus: 303,
    });
    t.diagnostic(summary);
    await truncateTables(testApp.db, ["outbox_messages", "graphile_worker._private_jobs"]);
  });
});
