// deploy/prometheus with the real programs: Debian's promtool checks alerts.yml and the example
// prometheus.yml and runs the rule unit tests (alerts.test.yml), in which every alert fires and stays
// quiet at least once; each alert has a `for:`, a severity, a summary and a description that links to its
// runbook section; and every metric the alerts and the Grafana dashboard name is one that a real portal's
// /metrics exports (the app started as in production, scraped over loopback).
import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { ensureDebianProgram } from "../../scripts/debianPackages.js";
import { projectRoot } from "../config.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { runCommand } from "../test/scripts.js";

const FOLDER = path.join(projectRoot, "deploy", "prometheus");
const ALERTS_FILE = path.join(FOLDER, "alerts.yml");
const TESTS_FILE = path.join(FOLDER, "alerts.test.yml");
const DASHBOARD_FILE = path.join(FOLDER, "grafana-dashboard.json");
const README_FILE = path.join(FOLDER, "README.md");
/** Series Prometheus makes itself for every target it scrapes, not the portal. */
const MADE_BY_PROMETHEUS = new Set(["up"]);

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleTestFile {
  tests: {
    alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
    promql_expr_test?: { expr: string; exp_samples?: unknown[] }[];
  }[];
}

interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

let rules: AlertRule[];
let ruleTests: RuleTestFile;
let dashboard: Dashboard;

before(async () => {
  // Installed from Debian when missing; when that cannot be done, this fails every test here and says why.
  await ensureDebianProgram({
    program: "promtool",
    packageName: "prometheus",
    neededFor: "the checks of deploy/prometheus (src/operations/prometheus.test.ts)",
  });
  const parsed = parse(await readFile(ALERTS_FILE, "utf8")) as { groups: { rules: AlertRule[] }[] };
  rules = parsed.groups.flatMap((group) => group.rules);
  ruleTests = parse(await readFile(TESTS_FILE, "utf8")) as RuleTestFile;
  dashboard = JSON.parse(await readFile(DASHBOARD_FILE, "utf8")) as Dashboard;
});

function promtool(args: string[], cwd = FOLDER) {
  return runCommand("promtool", args, { cwd });
}

describe("promtool", () => {
  test("check rules: alerts.yml is valid, every rule an alert", async () => {
    const run = await promtool(["check", "rules", "alerts.yml"]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
    assert.ok(rules.length >= 14, `${rules.length} alerts`);
    assert.ok(
      rules.every((rule) => rule.alert),
      "no recording rules here",
    );
  });

  test("test rules: alerts.test.yml passes", async () => {
    const run = await promtool(["test", "rules", "alerts.test.yml"]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.stdout, /SUCCESS/);
  });

  test("check config: the example prometheus.yml, with the alerts installed beside it", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "vp-prometheus-"));
    try {
      await copyFile(path.join(FOLDER, "prometheus.yml"), path.join(folder, "prometheus.yml"));
      await copyFile(ALERTS_FILE, path.join(folder, "vetting-portal-alerts.yml"));
      const run = await promtool(["check", "config", "prometheus.yml"], folder);
      assert.equal(run.code, 0, run.output);
      assert.match(run.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe("alerts.yml", () => {
  test("every alert has a test where it fires and one where it stays quiet", () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const group of ruleTests.tests) {
      for (const check of group.promql_expr_test ?? []) {
        const name = /^ALERTS\{alertname="(\w+)", alertstate="firing"\}$/.exec(check.expr)?.[1];
        if (name && (check.exp_samples ?? []).length > 0) firing.add(name);
        if (name && (check.exp_samples ?? []).length === 0) quiet.add(name);
      }
      for (const check of group.alert_rule_test ?? []) {
        if ((check.exp_alerts ?? []).length === 0) quiet.add(check.alertname);
      }
    }
    const names = rules.map((rule) => rule.alert);
    assert.deepEqual(
      names.filter((name) => !firing.has(name)),
      [],
      "alerts without a firing test",
    );
    assert.deepEqual(
      names.filter((name) => !quiet.has(name)),
      [],
      "alerts without a quiet test",
    );
  });

  test("each alert waits (for:), says how bad (severity), what happened and what to do, with its runbook", async () => {
    const readme = await readFile(README_FILE, "utf8");
    const runbookAnchors = new Set(
      [...readme.matchAll(/^### (VettingPortal\w+)$/gm)].map((match) => (match[1] ?? "").toLowerCase()),
    );
    for (const rule of rules) {
      assert.match(rule.for ?? "", /^\d+[smh]$/, `${rule.alert}: for`);
      assert.ok(["critical", "warning"].includes(rule.labels?.severity ?? ""), `${rule.alert}: severity`);
      assert.ok((rule.annotations?.summary ?? "").length > 10, `${rule.alert}: summary`);
      const description = rule.annotations?.description ?? "";
      assert.ok(description.length > 100, `${rule.alert}: a description that says what to do`);
      const anchor = new RegExp(`Runbook: deploy/prometheus/README\\.md#${rule.alert.toLowerCase()}$`);
      assert.match(description, anchor, `${rule.alert}: links its runbook`);
      assert.ok(runbookAnchors.has(rule.alert.toLowerCase()), `${rule.alert}: a section in the README`);
    }
    assert.equal(runbookAnchors.size, rules.length, "no runbook section for an alert that is gone");
  });
});

describe("the Grafana dashboard", () => {
  test("is JSON Grafana imports: a title, a uid, panels with queries on the chosen data source", () => {
    const raw = dashboard as unknown as { title: string; uid: string };
    assert.equal(raw.title, "Vetting Portal");
    assert.equal(raw.uid, "vetting-portal");
    const queryPanels = dashboard.panels.filter((panel) => panel.type !== "row");
    assert.ok(queryPanels.length >= 15, `${queryPanels.length} panels`);
    for (const panel of queryPanels) {
      assert.ok((panel.targets ?? []).length > 0, `${panel.title}: a query`);
      assert.ok(
        (panel.targets ?? []).every((target) => target.expr.trim() !== ""),
        panel.title,
      );
    }
  });
});

describe("every metric the alerts and the dashboard name", () => {
  let testApp: TestApp;
  let exported: Set<string>;

  before(async () => {
    const backupDir = await mkdtemp(path.join(tmpdir(), "vp-backups-"));
    // An off-site copy was made once (scripts/backup with BACKUP_RESTIC_REPOSITORY writes this).
    await writeFile(path.join(backupDir, "last-offsite-success"), "1765000000 20261206T023000Z 4f9a1c2e\n");
    testApp = await startTestApp({
      env: {
        // Everything that adds a metric when configured.
        BACKUP_DIR: backupDir,
        SECURITY_CONTACT: "mailto:security@example.org",
        SECURITY_TXT_EXPIRES: new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10),
      },
    });
    // One request, so the request histogram has samples too.
    assert.equal((await fetch(`${testApp.baseUrl}/healthz`)).status, 200);
    // As a scraper on the same host reads it (outside production, loopback needs no token).
    const response = await fetch(`${testApp.baseUrl}/metrics`);
    assert.equal(response.status, 200);
    exported = exportedNames(await response.text());
    await rm(backupDir, { recursive: true, force: true });
  });
  after(() => testApp?.close());

  test("the extraction sees the names (a sanity check of the test itself)", () => {
    assert.deepEqual(metricNamesIn('sum by (le, route) (rate(a_bucket{x=~"y|z"}[$__rate_interval]))'), [
      "a_bucket",
    ]);
    assert.deepEqual(metricNamesIn("time() - max(b_seconds) > 26 * 3600 and absent(c)"), ["b_seconds", "c"]);
    assert.deepEqual(metricNamesIn("label_values(vetting_portal_ready, instance)"), ["vetting_portal_ready"]);
    assert.ok(exported.has("vetting_portal_http_request_duration_seconds_bucket"));
    assert.ok(exported.has("vetting_portal_backup_last_success_timestamp_seconds"));
    assert.ok(exported.has("vetting_portal_backup_offsite_last_success_timestamp_seconds"));
  });

  test("are exported by the portal's /metrics", () => {
    const named = new Map<string, string>();
    for (const rule of rules) {
      for (const name of metricNamesIn(rule.expr)) named.set(name, `alert ${rule.alert}`);
    }
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const name of metricNamesIn(target.expr)) named.set(name, `panel "${panel.title}"`);
      }
    }
    for (const variable of dashboard.templating.list) {
      const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
      if (variable.type !== "query" || !query) continue;
      for (const name of metricNamesIn(query)) named.set(name, `variable ${variable.name}`);
    }
    assert.ok(named.size >= 25, `${named.size} metrics named`);
    const missing = [...named]
      .filter(([name]) => !exported.has(name) && !MADE_BY_PROMETHEUS.has(name))
      .map(([name, where]) => `${name} (${where})`);
    assert.deepEqual(missing, []);
  });
});

/** Sample names in the exposition, plus each family's own name and its histogram/summary series. */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    const family = /^# TYPE (\S+) (\w+)$/.exec(line);
    if (family?.[1]) {
      names.add(family[1]);
      if (family[2] === "histogram" || family[2] === "summary") {
        for (const suffix of ["_bucket", "_count", "_sum"]) names.add(`${family[1]}${suffix}`);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample?.[1]) names.add(sample[1]);
  }
  return names;
}

/** PromQL's words that are not metric names: aggregations, operators, modifiers. */
const PROMQL_WORDS = new Set([
  ..."sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio".split(
    " ",
  ),
  ..."and or unless by without on ignoring group_left group_right offset bool atan2".split(" "),
]);

/**
 * The metric names a PromQL expression (or a Grafana label_values() query) reads. Strings, label
 * matchers, ranges and grouping label lists are removed first; what remains of the words are functions
 * (followed by a parenthesis), PromQL's own words, or metric names.
 */
function metricNamesIn(expression: string): string[] {
  const labelValues = /^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,/.exec(expression);
  if (labelValues?.[1]) return [labelValues[1]];
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1 ");
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const isFunction = /^\s*\(/.test(stripped.slice((match.index ?? 0) + word.length));
    if (isFunction || PROMQL_WORDS.has(word) || names.includes(word)) continue;
    names.push(word);
  }
  return names;
}
