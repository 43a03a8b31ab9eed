// npm run bench:profile -- <page> [seconds]: where one page's time goes, for the misses of npm run bench.
// Runs the portal (same fixture and settings as figures 1 and 2) under `node --cpu-prof`, drives the
// page with autocannon for a few seconds, stops the portal (the profile is written as it exits) and
// prints the functions with the most self time and the time per package. The profile itself is kept in
// bench-results/ for Chrome DevTools (Performance → Load profile) or speedscope.
//   pages: home, apply, status (the applicant's status page), queue (the staff queue, signed in)
//   --no-profile   no profiler: five runs and the median server CPU per request (for an A/B of a change)
//   --bare         the same page from the baseline, bareRender.ts
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../../src/config.js";
import { urls } from "../../src/urls.js";
import { cpuMsOf, type LoadResult, loadHttp, median, startChildServer } from "./harness.js";
import { type Fixture, prepareDatabase, startPortalOn } from "./pages.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const PAGES: Record<string, { path: string; headers: (fixture: Fixture) => Record<string, string> }> = {
  home: { path: urls.home(), headers: () => ({}) },
  apply: { path: urls.apply(), headers: () => ({}) },
  status: { path: urls.applicantWorkspace(), headers: (fixture) => ({ cookie: fixture.applicantCookie }) },
  queue: { path: urls.staffCases(), headers: (fixture) => ({ cookie: fixture.staffCookie }) },
};

/** "node_modules/.pnpm/x/node_modules/@scope/name/…" → "@scope/name"; our own files by folder. */
function packageOf(url: string): string {
  if (!url) return "(native / V8)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return url;
  const relative = url.replace(`file://${projectRoot}/`, "");
  return relative.split("/").slice(0, 2).join("/");
}

export function summariseProfile(profile: CpuProfile, top = 30): string {
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((nodeId, index) => {
    selfMicros.set(nodeId, (selfMicros.get(nodeId) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const micros = selfMicros.get(node.id) ?? 0;
    if (micros === 0) continue;
    const frame = node.callFrame;
    const where = frame.url
      ? `${frame.url.replace(`file://${projectRoot}/`, "")}:${frame.lineNumber + 1}`
      : "";
    const name = `${frame.functionName || "(anonymous)"} ${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const pkg = packageOf(frame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
  }
  // Inclusive time of our own functions (their self time and everything they called, each stack counted
  // once per function however often the function recurs in it): what each middleware and query costs.
  const parentOf = new Map<number, number>();
  const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [nodeId, micros] of selfMicros) {
    const seen = new Set<string>();
    for (let id: number | undefined = nodeId; id !== undefined; id = parentOf.get(id)) {
      const frame = nodeById.get(id)?.callFrame;
      if (!frame?.url.includes(`${projectRoot}/src/`)) continue;
      const name = `${frame.functionName || "(anonymous)"} ${frame.url.replace(`file://${projectRoot}/`, "")}:${frame.lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    }
  }
  const percent = (micros: number) => `${((micros / total) * 100).toFixed(1).padStart(5)} %`;
  const lines = (entries: Map<string, number>, count: number) =>
    [...entries.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => `  ${percent(micros)}  ${name}`);
  return [
    `Self time by package (of ${(total / 1000).toFixed(0)} ms sampled):`,
    ...lines(byPackage, 25),
    "",
    `Top ${top} functions by self time:`,
    ...lines(byFunction, top),
    "",
    `Our own functions by inclusive time (top ${top}):`,
    ...lines(inclusive, top),
  ].join("\n");
}

async function main() {
  const [pageName = "home", secondsArgument = "10"] = process.argv
    .slice(2)
    .filter((arg) => !arg.startsWith("--"));
  const seconds = Number(secondsArgument);
  // --no-profile: the same run without the profiler, for the CPU per request alone.
  const isProfiling = !process.argv.includes("--no-profile");
  const isBare = process.argv.includes("--bare");
  const page = PAGES[pageName];
  if (!page) throw new Error(`unknown page ${pageName}: one of ${Object.keys(PAGES).join(", ")}`);
  const scratch = await mkdtemp(path.join(tmpdir(), "vp-bench-profile-"));
  const fixture = await prepareDatabase(100, scratch);
  try {
    const profileDir = path.join(scratch, "profile");
    const nodeArgs = isProfiling ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
    // --bare: the same page from the baseline (bareRender.ts), to compare profiles.
    const portal = isBare
      ? await startChildServer(
          "scripts/bench/bareRender.ts",
          { ...fixture.env, BENCH_CASE_ID: fixture.caseId, BENCH_STAFF_ID: fixture.staffId },
          nodeArgs,
        ).then((server) => ({ url: server.url, pid: server.child.pid ?? 0, stop: server.stop }))
      : await startPortalOn(fixture, scratch, {}, nodeArgs);
    const url = `${portal.url}${page.path}`;
    // Warm-up: compiled code, filled pools and caches (the first second runs at a fraction of the speed).
    const warmUp = await loadHttp({ url, seconds: 3, headers: page.headers(fixture), manyClients: true });
    // Without the profiler, several runs: the median CPU per request is what an A/B of a change reads.
    const runs = isProfiling ? 1 : 5;
    const measured: { load: LoadResult; cpuMsPerRequest: number }[] = [];
    for (let run = 0; run < runs; run += 1) {
      const cpuBefore = await cpuMsOf(portal.pid);
      const load = await loadHttp({ url, seconds, headers: page.headers(fixture), manyClients: true });
      measured.push({ load, cpuMsPerRequest: ((await cpuMsOf(portal.pid)) - cpuBefore) / load.requests });
    }
    const cpuMsPerRequest = median(measured.map((entry) => entry.cpuMsPerRequest));
    const load = measured[0]?.load as LoadResult;
    await portal.stop();
    if (!isProfiling) {
      process.stdout.write(
        `${pageName}: ${measured.map((entry) => entry.load.requestsPerSecond.toFixed(0)).join(", ")} req/s; server CPU per request ${measured.map((entry) => entry.cpuMsPerRequest.toFixed(3)).join(", ")} ms, median ${cpuMsPerRequest.toFixed(3)}\n`,
      );
      return;
    }
    const [file] = await readdir(profileDir);
    if (!file) throw new Error("the portal wrote no profile");
    const kept = path.join(
      projectRoot,
      "bench-results",
      `profile-${pageName}${isBare ? "-bare" : ""}.cpuprofile`,
    );
    await mkdir(path.dirname(kept), { recursive: true });
    // Copied, not renamed: the scratch folder may be on another filesystem.
    await copyFile(path.join(profileDir, file), kept);
    process.stdout.write(
      `${pageName}: ${load.requestsPerSecond.toFixed(0)} req/s, ${load.failed} failed, server CPU ${cpuMsPerRequest.toFixed(3)} ms per request; ${warmUp.requests + load.requests} requests in the profile (warm-up included); profile in ${path.relative(projectRoot, kept)}\n\n`,
    );
    const profile = JSON.parse(await readFile(kept, "utf8")) as CpuProfile;
    process.stdout.write(`${summariseProfile(profile)}\n`);
  } finally {
    await fixture.database.drop();
    await rm(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
