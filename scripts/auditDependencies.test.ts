// The dependency audit's judgement (scripts/auditDependencies.ts), on an `npm audit --json` report of
// the registry's format: which advisories fail the check, which the allowlist accepts, and what makes the
// allowlist itself fail (expired, too long, malformed). The shipped allowlist must pass as it is.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { ALLOWLIST_FILE, findingsOf, judgeFindings, parseAllowlist } from "./auditDependencies.js";

const TODAY = new Date("2026-12-07T10:00:00Z");

/** What `npm audit --omit=dev --json` prints (report format 2), trimmed to the fields read. */
const REPORT = {
  auditReportVersion: 2,
  vulnerabilities: {
    minimist: {
      name: "minimist",
      severity: "critical",
      isDirect: false,
      via: [
        {
          source: 1097678,
          name: "minimist",
          dependency: "minimist",
          title: "Prototype Pollution in minimist",
          url: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
          severity: "critical",
          range: "<0.2.4",
        },
      ],
      effects: ["mkdirp"],
    },
    // Vulnerable only through minimist: its own entry names no advisory.
    mkdirp: { name: "mkdirp", severity: "critical", isDirect: true, via: ["minimist"], effects: [] },
    semver: {
      name: "semver",
      severity: "high",
      isDirect: false,
      via: [
        {
          source: 1101088,
          name: "semver",
          dependency: "semver",
          title: "semver vulnerable to Regular Expression Denial of Service",
          url: "https://github.com/advisories/GHSA-c2qf-rxjj-qqgw",
          severity: "high",
          range: ">=7.0.0 <7.5.2",
        },
      ],
    },
    debug: {
      name: "debug",
      severity: "moderate",
      isDirect: false,
      via: [
        {
          source: 1094219,
          name: "debug",
          dependency: "debug",
          title: "Regular Expression Denial of Service in debug",
          url: "https://github.com/advisories/GHSA-gxpj-cx7g-858c",
          severity: "moderate",
          range: ">=4.0.0 <4.3.1",
        },
      ],
    },
  },
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 1, critical: 2, total: 4 } },
};

const allowlist = (allowances: unknown[]) => JSON.stringify({ allowances });

describe("reading npm audit's report", () => {
  test("each advisory once, from the package it is on; a package vulnerable only through another adds none", () => {
    assert.deepEqual(
      findingsOf(REPORT)?.map((finding) => `${finding.severity} ${finding.advisory} ${finding.package}`),
      [
        "moderate GHSA-gxpj-cx7g-858c debug",
        "critical GHSA-xvch-5gv4-984h minimist",
        "high GHSA-c2qf-rxjj-qqgw semver",
      ],
    );
    assert.deepEqual(findingsOf({ auditReportVersion: 2, vulnerabilities: {} }), []);
  });

  test("an answer that is not a report (the registry refused the audit) is not taken for a clean one", () => {
    const refused = {
      message: "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
      statusCode: 405,
    };
    assert.equal(findingsOf(refused), null);
    assert.equal(findingsOf(null), null);
  });
});

describe("judging the findings", () => {
  const findings = findingsOf(REPORT) ?? [];

  test("high and critical advisories fail; moderate ones are only said", () => {
    const { failures, notes } = judgeFindings(findings, []);
    assert.deepEqual(failures, [
      "critical GHSA-xvch-5gv4-984h in minimist <0.2.4: Prototype Pollution in minimist (https://github.com/advisories/GHSA-xvch-5gv4-984h)",
      "high GHSA-c2qf-rxjj-qqgw in semver >=7.0.0 <7.5.2: semver vulnerable to Regular Expression Denial of Service (https://github.com/advisories/GHSA-c2qf-rxjj-qqgw)",
    ]);
    assert.deepEqual(notes, [
      "moderate GHSA-gxpj-cx7g-858c in debug >=4.0.0 <4.3.1: Regular Expression Denial of Service in debug (https://github.com/advisories/GHSA-gxpj-cx7g-858c)",
    ]);
  });

  test("an acceptance covers its advisory in its package only; one nothing matches is said to be removable", () => {
    const reason = "only reached through the build script, never with input from outside";
    const { allowances, problems } = parseAllowlist(
      allowlist([
        { advisory: "GHSA-xvch-5gv4-984h", package: "minimist", reason, expires: "2027-01-31" },
        { advisory: "GHSA-c2qf-rxjj-qqgw", package: "not-semver", reason, expires: "2027-01-31" },
      ]),
      TODAY,
    );
    assert.deepEqual(problems, []);
    const { failures, notes } = judgeFindings(findings, allowances);
    assert.deepEqual(
      failures.map((failure) => failure.split(":")[0]),
      ["high GHSA-c2qf-rxjj-qqgw in semver >=7.0.0 <7.5.2"],
    );
    assert.ok(
      notes.some((note) => note.startsWith("accepted until 2027-01-31: critical GHSA-xvch-5gv4-984h")),
    );
    assert.ok(
      notes.includes(
        "no longer reported, remove it from audit-allowlist.json: GHSA-c2qf-rxjj-qqgw in not-semver",
      ),
    );
  });
});

describe("the allowlist", () => {
  const entry = {
    advisory: "GHSA-xvch-5gv4-984h",
    package: "minimist",
    reason: "only reached through the build script, never with input from outside",
  };

  test("an expired acceptance is a failure, and so is one longer than a year", () => {
    assert.deepEqual(parseAllowlist(allowlist([{ ...entry, expires: "2026-12-06" }]), TODAY).problems, [
      "the acceptance of GHSA-xvch-5gv4-984h in minimist expired on 2026-12-06: upgrade, or decide again with a new date",
    ]);
    assert.deepEqual(parseAllowlist(allowlist([{ ...entry, expires: "2026-12-07" }]), TODAY).problems, []);
    assert.deepEqual(parseAllowlist(allowlist([{ ...entry, expires: "2028-01-01" }]), TODAY).problems, [
      "the acceptance of GHSA-xvch-5gv4-984h in minimist runs to 2028-01-01: at most a year ahead",
    ]);
    assert.deepEqual(parseAllowlist(allowlist([{ ...entry, expires: "2027-02-30" }]), TODAY).problems, [
      "the acceptance of GHSA-xvch-5gv4-984h in minimist: 2027-02-30 is not a date",
    ]);
  });

  test("a malformed list fails, naming each problem", () => {
    assert.deepEqual(
      parseAllowlist(
        allowlist([
          { advisory: "CVE-2021-44906", package: "minimist", reason: "fine", expires: "soon", extra: 1 },
        ]),
        TODAY,
      ).problems,
      [
        "audit-allowlist.json allowances.0.advisory: must be a GHSA id, e.g. GHSA-abcd-2345-wxyz",
        "audit-allowlist.json allowances.0.reason: must say why (at least 20 characters)",
        "audit-allowlist.json allowances.0.expires: must be a date like 2027-03-01",
        'audit-allowlist.json allowances.0: Unrecognized key: "extra"',
      ],
    );
    assert.match(parseAllowlist("{", TODAY).problems[0] ?? "", /^audit-allowlist\.json is not JSON: /);
  });

  test("the shipped audit-allowlist.json holds no problem today", async () => {
    assert.deepEqual(parseAllowlist(await readFile(ALLOWLIST_FILE, "utf8"), new Date()).problems, []);
  });
});
