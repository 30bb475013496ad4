// `npm run bench` entry: runs scenarios 1–7 of issue 8 (mock server in its own
// process, each measured run in a fresh child), prints one table, writes
// bench/results/latest.json, docs/benchmark.svg and the README's bench section.
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testCredentials, writeTestCredentials } from '../src/testing/test-credentials.js';
import type { BenchCredentials, ContenderJob } from './contenders/contender.js';
import { ChildRegistry } from './harness/child-registry.js';
import { machineInfo } from './harness/machine-info.js';
import { MockServerProcess, type MockEndpoints } from './harness/mock-server-process.js';
import { runInChild } from './harness/run-in-child.js';
import type { BenchResults, ContenderResult, RunSample, ScenarioResult } from './report/bench-results.js';
import { renderMarkdownSection, renderTextReport } from './report/format-report.js';
import { evaluateGoals } from './report/goals.js';
import { replaceBenchSection } from './report/readme-section.js';
import { cpuMsPer1000, notificationsPerSec, summarizeContender, withRatios } from './report/stats.js';
import { renderSvgChart } from './report/svg-chart.js';
import { benchSizes, runOrder, scenarioPlans, type ContenderPlan, type ScenarioPlan } from './scenarios.js';

interface CliOptions {
  quick: boolean;
  only: Set<string> | undefined;
  reps: number | undefined;
  /** Leave README.md alone (results and chart are still written). */
  noReadme: boolean;
  /** Measure nothing: render the table, chart and README section from this results file. */
  reportFrom: string | undefined;
  /** Extra notes for the results (the conditions of the run, say). */
  notes: string[];
  /** Write a CPU profile of every measured child into .tmp/bench-profiles (figures then include the profiler's cost). */
  profile: boolean;
  /** Time budget in seconds, instead of the default of the mode. */
  budgetSec: number | undefined;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { quick: false, only: undefined, reps: undefined, noReadme: false, reportFrom: undefined, notes: [], profile: false, budgetSec: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only') options.only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (arg.startsWith('--only=')) options.only = new Set(arg.slice(7).split(',').filter(Boolean));
    else if (arg === '--reps') options.reps = Number(argv[++i]);
    else if (arg === '--no-readme') options.noReadme = true;
    else if (arg === '--note') options.notes.push(argv[++i] ?? '');
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--budget') options.budgetSec = Number(argv[++i]);
    else if (arg === '--report-only') options.reportFrom = argv[i + 1]?.startsWith('--') === false ? argv[++i]! : 'bench/results/latest.json';
    else if (arg === '--help') {
      process.stdout.write('npm run bench [-- --quick] [--only codec,binary,http2,fanout,memory,latency,hostile,http2:minimal-http2,...] [--reps N] [--no-readme] [--note text] [--profile] [--budget seconds] [--report-only [results.json]]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const GUARD = new URL('./harness/exit-with-parent.js', import.meta.url).href;
const MOCK_CLI = process.env.BENCH_MOCK_CLI ?? fileURLToPath(new URL('../src/testing/cli.js', import.meta.url));
const TOPIC = 'com.example.bench';

const registry = new ChildRegistry();
/** Temporary directories to remove on the way out, whichever way that is. */
const temporaryDirs: string[] = [];
const started = performance.now();

function elapsed(): string {
  const seconds = Math.round((performance.now() - started) / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function progress(line: string): void {
  process.stderr.write(`[${elapsed()}] ${line}\n`);
}

/**
 * Past this, further runs of rows that already have one are skipped (noted in
 * the results), so that a slow or busy machine still finishes near the limit:
 * 10 minutes for the full suite, about 2 for --quick.
 */
function timeBudgetMs(options: Pick<CliOptions, 'quick' | 'budgetSec'>): number {
  if (options.budgetSec !== undefined && Number.isFinite(options.budgetSec)) return options.budgetSec * 1000;
  return options.quick ? 140_000 : 540_000;
}

/** A generous per-run limit: the run is killed and reported failed after it. */
function runTimeoutMs(job: ContenderJob): number {
  return 60_000 + job.count * 0.5 + (job.durationMs ?? 0) * 2;
}

function emptyRow(plan: ContenderPlan | { id: string; label: string; baseline: boolean }): ContenderResult {
  const compareTo = 'compareTo' in plan ? plan.compareTo : undefined;
  return { id: plan.id, label: plan.label, baseline: plan.baseline, ...(compareTo ? { compareTo } : {}), runs: [], errors: [], throughputRatio: {}, cpuRatio: {} };
}

async function runScenario(
  plan: ScenarioPlan,
  done: readonly ScenarioResult[],
  context: {
    credentials: BenchCredentials;
    env: Record<string, string>;
    quick: boolean;
    repsOverride: number | undefined;
    skipped: string[];
    profileDir: string | undefined;
    budgetMs: number;
  },
): Promise<ScenarioResult> {
  const contenders = plan.contenders(done);
  const rows = new Map<string, ContenderResult>(contenders.map((contender) => [contender.id, emptyRow(contender)]));
  const codecRows = new Map<string, ContenderResult>();
  const reps = context.repsOverride ?? plan.reps;
  let mock: MockServerProcess | undefined;
  let endpoints: MockEndpoints = { host: '127.0.0.1', http2Port: 0, binaryPort: 0, feedbackPort: 0 };
  try {
    if (plan.mock !== undefined) {
      mock = new MockServerProcess(MOCK_CLI, GUARD, registry);
      endpoints = await mock.start(plan.mock);
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const contender of runOrder(contenders, rep)) {
        const row = rows.get(contender.id)!;
        if (row.unavailable !== undefined) continue;
        if (rep >= (contender.reps ?? reps)) continue;
        if (rep > 0 && performance.now() - started > context.budgetMs) {
          context.skipped.push(`${plan.id}:${contender.id} run ${rep + 1}`);
          continue;
        }
        const job: ContenderJob = { ...contender.job, mock: endpoints, credentials: context.credentials, topic: TOPIC, quick: context.quick };
        const label = `${plan.id} · ${contender.label} · run ${rep + 1}/${Math.min(reps, contender.reps ?? reps)}`;
        try {
          const profileDir = context.profileDir === undefined ? undefined : join(context.profileDir, `${plan.id}-${contender.id}-run${rep + 1}`);
          const { sample, outcome } = await runInChild(job, { workerPath: WORKER, guardUrl: GUARD, registry, env: context.env, timeoutMs: runTimeoutMs(job), ...(profileDir ? { profileDir } : {}) });
          if (outcome.codecRows) {
            for (const codecRow of outcome.codecRows) {
              // Short ids ("codec-buffer-copy"): they title the ratio columns.
              const id = `codec-${(codecRow.label.split(/[\s(]/)[0] ?? codecRow.label).toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
              if (!codecRows.has(id)) codecRows.set(id, emptyRow({ id, label: codecRow.label, baseline: codecRow.baseline }));
              const synthetic: RunSample = { count: 1, ok: 1, failed: 0, elapsedMs: 1000 / codecRow.framesPerSec, cpuMs: Number.NaN, peakRssBytes: sample.peakRssBytes };
              if (codecRow.mbPerSec !== undefined) synthetic.mbPerSec = codecRow.mbPerSec;
              codecRows.get(id)!.runs.push(synthetic);
            }
            progress(`${label}: ${outcome.codecRows.map((r) => `${r.label} ${Math.round(r.framesPerSec).toLocaleString('en-US')}/s`).join(', ')}`);
            continue;
          }
          row.runs.push(sample);
          if (sample.failed > 0) row.errors.push(`${sample.failed.toLocaleString('en-US')} of ${sample.count.toLocaleString('en-US')} failed (${outcome.firstError ?? 'no reason given'})`);
          const latency = sample.latency ? `, p50 ${sample.latency.p50.toFixed(1)} ms, p99 ${sample.latency.p99.toFixed(1)} ms` : '';
          progress(
            `${label}: ${Math.round(notificationsPerSec(sample)).toLocaleString('en-US')}/s, ${cpuMsPer1000(sample).toFixed(1)} ms CPU/1k, ` +
              `${Math.round(sample.peakRssBytes / 1048576)} MB RSS${latency}${sample.failed > 0 ? `, ${sample.failed} failed` : ''}`,
          );
        } catch (error) {
          const message = (error as Error).message;
          progress(`${label}: FAILED: ${message}`);
          if (/not available|exports no runCodecBench/.test(message)) row.unavailable = message;
          else row.errors.push(message);
        }
      }
    }
  } catch (error) {
    // The scenario could not run (mock did not start): every row says why.
    const message = `scenario not run: ${(error as Error).message}`;
    progress(`${plan.id}: ${message}`);
    for (const row of rows.values()) row.unavailable ??= message;
  } finally {
    await mock?.stop();
  }
  const all = plan.id === 'codec' && codecRows.size > 0 ? [...codecRows.values()] : [...rows.values()];
  return withRatios({ id: plan.id, title: plan.title, description: plan.description, unit: plan.unit, contenders: all.map(summarizeContender) });
}

/**
 * `--only` names scenarios (all their rows) or rows as `scenario:row`
 * (`http2:minimal-http2,http2:ours-http2-1`), for quicker comparisons while developing.
 */
function selectPlans(plans: ScenarioPlan[], only: Set<string> | undefined): ScenarioPlan[] {
  if (only === undefined) return plans;
  return plans
    .filter((plan) => only.has(plan.id) || [...only].some((name) => name.startsWith(`${plan.id}:`)))
    .map((plan) =>
      only.has(plan.id) ? plan : { ...plan, contenders: (done: readonly ScenarioResult[]) => plan.contenders(done).filter((row) => only.has(`${plan.id}:${row.id}`)) },
    );
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.reportFrom !== undefined) {
    const stored = JSON.parse(await readFile(join(ROOT, options.reportFrom), 'utf8')) as BenchResults;
    // Ratios and goals are worked out again from the runs, so a change of those rules shows without measuring again.
    const notes = [...stored.notes, ...options.notes.filter((note) => !stored.notes.includes(note))];
    const scenarios = stored.scenarios.map(withRatios);
    const results: BenchResults = { ...stored, notes, scenarios, goals: evaluateGoals(scenarios) };
    await writeFile(join(ROOT, options.reportFrom), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${renderTextReport(results)}\n`);
    await writeOutputs(results, { ...options, quick: results.mode === 'quick' }, options.reportFrom);
    return;
  }
  const sizes = benchSizes(options.quick);
  const plans = selectPlans(scenarioPlans(sizes, options.quick), options.only);
  const credentialsDir = await mkdtemp(join(tmpdir(), 'nest-apns-bench-'));
  temporaryDirs.push(credentialsDir);
  {
    const paths = await writeTestCredentials(credentialsDir);
    const credentials: BenchCredentials = {
      ca: paths.ca!,
      clientCert: paths.clientCert!,
      clientKey: paths.clientKey!,
      signingKey: paths.signingKey!,
      keyId: testCredentials.keyId,
      teamId: testCredentials.teamId,
    };
    // undici (apns2) trusts only the default store, which NODE_EXTRA_CA_CERTS extends.
    const env = { NODE_EXTRA_CA_CERTS: credentials.ca };
    const machine = machineInfo();
    progress(`nest-apns benchmark (${options.quick ? 'quick' : 'full'}) on ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.nodeVersion}`);
    const scenarios: ScenarioResult[] = [];
    const skipped: string[] = [];
    for (const plan of plans) {
      progress(`scenario ${plan.title}`);
      const profileDir = options.profile ? join(ROOT, '.tmp/bench-profiles') : undefined;
      scenarios.push(await runScenario(plan, scenarios, { credentials, env, quick: options.quick, repsOverride: options.reps, skipped, profileDir, budgetMs: timeBudgetMs(options) }));
    }
    if (skipped.length > 0) progress(`time budget reached: ${skipped.length} repeat run(s) skipped`);
    const results: BenchResults = {
      generatedAt: new Date().toISOString(),
      mode: options.quick ? 'quick' : 'full',
      machine,
      durationSec: (performance.now() - started) / 1000,
      notes: [
        'Mock APNs server (nest-apns/testing CLI) on 127.0.0.1 in its own process; scenarios 2–6 with its defaults, scenario 7 with --latency 20 --max-streams 100.',
        'Throughput counts accepted notifications only; CPU is the client process\'s user + system time in the measured window; peak RSS is sampled every 50 ms over the child\'s life.',
        ...options.notes,
        ...(skipped.length > 0 ? [`Time budget (${timeBudgetMs(options) / 1000} s) reached: ${skipped.length} repeat run(s) skipped (${skipped.join(', ')}).`] : []),
      ],
      settings: { ...sizes, ...(options.reps !== undefined ? { reps: options.reps } : {}) },
      scenarios,
      goals: evaluateGoals(scenarios),
    };
    process.stdout.write(`${renderTextReport(results)}\n`);
    await writeOutputs(results, options);
  }
}

async function writeOutputs(results: BenchResults, options: CliOptions, readFrom?: string): Promise<void> {
  // Profiled figures carry the profiler's cost: never the committed results.
  const partial = options.only !== undefined || options.reps !== undefined || options.profile;
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (readFrom !== undefined) {
    // Re-rendering: the results file was updated by the caller.
  } else if (partial || options.quick) {
    // Quick and partial runs never replace the committed full results.
    const file = join(ROOT, `bench/results/${options.quick ? 'quick' : 'partial'}.tmp.json`);
    await writeFile(file, json);
    progress(`results: ${file} (README and chart are only rewritten by a full run)`);
    return;
  } else {
    await writeFile(join(ROOT, 'bench/results/latest.json'), json);
  }
  await mkdir(join(ROOT, 'docs'), { recursive: true });
  await writeFile(join(ROOT, 'docs/benchmark.svg'), renderSvgChart(results));
  const readmePath = join(ROOT, 'README.md');
  const readme = options.noReadme ? undefined : await readFile(readmePath, 'utf8').catch(() => undefined);
  const updated = readme === undefined ? undefined : replaceBenchSection(readme, renderMarkdownSection(results, 'docs/benchmark.svg'));
  if (updated !== undefined && updated !== readme) await writeFile(readmePath, updated);
  progress(`results: bench/results/latest.json, docs/benchmark.svg${options.noReadme ? ' (README left alone: --no-readme)' : updated === undefined ? ' (README markers missing: README left alone)' : ', README.md'}`);
}

function shutdown(code: number): never {
  registry.killAll();
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

process.on('exit', () => {
  registry.killAll();
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => shutdown(130));
process.on('SIGTERM', () => shutdown(143));

main().then(
  () => shutdown(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    shutdown(1);
  },
);
