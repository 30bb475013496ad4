import type { BenchResults, ContenderResult, ScenarioResult, Spread } from './bench-results.js';

/** Whole numbers with thousands separators; "–" for a missing value. */
export function formatCount(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString('en-US');
}

function formatFixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** `median (min–max)`, or the median alone when there was one run. */
export function formatSpread(spread: Spread | undefined, format: (value: number) => string): string {
  if (spread === undefined) return '–';
  const [median, min, max] = [format(spread.median), format(spread.min), format(spread.max)];
  return min === max ? median : `${median} (${min}–${max})`;
}

export function machineLine(results: BenchResults): string {
  const m = results.machine;
  return `${m.cores} cores, ${m.cpuModel}, ${m.totalMemoryMb.toLocaleString('en-US')} MB RAM, Node ${m.nodeVersion} (${m.platform})`;
}

interface Column {
  title: string;
  cell(row: ContenderResult): string;
}

function columnsOf(scenario: ScenarioResult): Column[] {
  const hasLatency = scenario.contenders.some((row) => row.latencyP50Ms !== undefined);
  const hasMb = scenario.contenders.some((row) => row.mbPerSec !== undefined);
  const columns: Column[] = [
    { title: 'contender', cell: (row) => row.label + (row.baseline ? ' †' : '') },
    { title: `${scenario.unit} median (min–max)`, cell: (row) => formatSpread(row.notificationsPerSec, formatCount) },
  ];
  if (hasMb) columns.push({ title: 'MB/s', cell: (row) => formatSpread(row.mbPerSec, (v) => formatFixed(v, 0)) });
  if (hasLatency) {
    columns.push({ title: 'p50 ms', cell: (row) => formatSpread(row.latencyP50Ms, (v) => formatFixed(v, 1)) });
    columns.push({ title: 'p99 ms', cell: (row) => formatSpread(row.latencyP99Ms, (v) => formatFixed(v, 1)) });
  }
  if (!hasMb) columns.push({ title: 'CPU ms/1k', cell: (row) => formatSpread(row.cpuMsPer1000, (v) => formatFixed(v, 1)) });
  columns.push({ title: 'peak RSS MB', cell: (row) => formatSpread(row.peakRssMb, (v) => formatFixed(v, 0)) });
  // At a fixed rate throughput says nothing; the percentiles are the comparison.
  const baselines = hasLatency ? [] : scenario.contenders.filter((row) => row.baseline);
  for (const baseline of baselines) {
    columns.push({
      title: `× ${baseline.id}`,
      cell: (row) => {
        const throughput = row.throughputRatio[baseline.id];
        if (throughput === undefined) return row.id === baseline.id ? '1×' : '–';
        const cpu = row.cpuRatio[baseline.id];
        return cpu === undefined || hasMb ? `${throughput.toFixed(2)}×` : `${throughput.toFixed(2)}× (CPU ${cpu.toFixed(2)}×)`;
      },
    });
  }
  columns.push({
    title: 'notes',
    cell: (row) => {
      const note = [row.unavailable, row.errors.length > 0 ? `${row.errors.length} run(s) with failures: ${row.errors[0]}` : undefined].filter(Boolean).join('; ');
      return note.length > 120 ? `${note.slice(0, 117)}...` : note;
    },
  });
  return columns;
}

function rowsOf(scenario: ScenarioResult): { header: string[]; body: string[][] } {
  const columns = columnsOf(scenario);
  const body = scenario.contenders.map((row) => columns.map((column) => column.cell(row)));
  // Drop the notes column when no row has a note.
  const notesEmpty = body.every((cells) => cells[cells.length - 1] === '');
  const header = columns.map((column) => column.title);
  if (notesEmpty) {
    header.pop();
    for (const cells of body) cells.pop();
  }
  return { header, body };
}

/** Plain-text table for the terminal, one block per scenario. */
export function renderTextReport(results: BenchResults): string {
  const lines: string[] = [];
  lines.push(`nest-apns benchmark (${results.mode}) — ${machineLine(results)} — ${results.generatedAt}, ${results.durationSec.toFixed(0)} s`);
  lines.push('Figures: median (min–max) over the runs; ratios are median to median (throughput, and CPU per notification). † = baseline.');
  for (const scenario of results.scenarios) {
    const { header, body } = rowsOf(scenario);
    const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)));
    const line = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
    lines.push('', `${scenario.title}`, `  ${scenario.description}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const cells of body) lines.push(line(cells));
  }
  lines.push('', 'Goals (reported, never enforced):');
  for (const goal of results.goals) lines.push(`  [${goal.status}] ${goal.text} — ${goal.detail}`);
  for (const note of results.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');

/** The README's benchmark section (what goes between the markers). */
export function renderMarkdownSection(results: BenchResults, chartPath: string): string {
  const lines: string[] = [];
  lines.push(
    `Measured by \`npm run bench\`${results.mode === 'quick' ? ' -- --quick' : ''} on ${results.generatedAt.slice(0, 10)}: ${machineLine(results)}.`,
    'The mock APNs server runs in its own process and every measured run in a fresh child process (its CPU and RSS are the client\'s alone);',
    'each figure is the median of the runs, with min–max. † marks a baseline. Full results: `bench/results/latest.json`.',
    '',
    `![benchmark chart](${chartPath})`,
  );
  for (const scenario of results.scenarios) {
    const { header, body } = rowsOf(scenario);
    lines.push('', `**${scenario.title}** — ${scenario.description}`, '');
    lines.push(`| ${header.map(escapeCell).join(' | ')} |`);
    lines.push(`|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const cells of body) lines.push(`| ${cells.map(escapeCell).join(' | ')} |`);
  }
  lines.push('', 'Goals (reported, not enforced):', '');
  for (const goal of results.goals) lines.push(`- **${goal.status}**: ${goal.text} (${escapeCell(goal.detail)})`);
  if (results.notes.length > 0) {
    lines.push('');
    for (const note of results.notes) lines.push(`- ${note}`);
  }
  return lines.join('\n');
}
