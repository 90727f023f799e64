import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt } from './lib.js';

export interface BenchRow {
  id: string;
  path: string;
  value: number;
  unit: string;
  ceiling?: number;
  ceilingLabel?: string;
  /** Median of the per-repetition ratios value / ceiling. */
  ratio?: number;
  ratios?: number[];
  target: string;
  met: boolean;
  latency?: { p50: number; p90: number; p99: number; bareP50: number; bareP99: number };
  errors?: number;
  extra?: Record<string, unknown>;
}

export interface BenchRun {
  header: string;
  quick: boolean;
  seed: number;
  reps: number;
  seconds: number;
  sizes: Record<string, number>;
  durationS: number;
  rows: BenchRow[];
  notes: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function valueText(r: BenchRow): string {
  let text = `${fmt(r.value, r.value < 100 ? 1 : 0)} ${r.unit}`;
  if (r.latency) text += `, p50 ${fmt(r.latency.p50, 2)} ms, p99 ${fmt(r.latency.p99, 2)} ms`;
  if (r.extra?.cpuUsPerRequest !== undefined) text += `, ${fmt(Number(r.extra.cpuUsPerRequest), 1)} µs CPU/request (bare ${fmt(Number(r.extra.bareCpuUsPerRequest), 1)})`;
  if (r.extra?.warmMs !== undefined) text += `, ${fmt(Number(r.extra.warmMs), 2)} ms warm`;
  if (r.extra?.firstStartPeakMb !== undefined) text += ` (first start, projecting every event then serving: ${fmt(Number(r.extra.firstStartPeakMb))} MB peak)`;
  if (r.extra?.readyAfterRestartS !== undefined) text += `, ready ${fmt(Number(r.extra.readyAfterRestartS), 1)} s after restart`;
  return text;
}

function ceilingText(r: BenchRow): string {
  if (r.ceiling === undefined) return '—';
  let text = `${r.ceilingLabel}: ${fmt(r.ceiling)}/s`;
  if (r.latency) text += `, p99 ${fmt(r.latency.bareP99, 2)} ms`;
  return text;
}

export function markdownTable(run: BenchRun): string {
  const lines = [
    '| path | measured | ceiling, same run | ratio (median) | target | met |',
    '|---|---|---|---|---|---|',
    ...run.rows.map(
      (r) =>
        `| ${r.path} | ${valueText(r)} | ${ceilingText(r)} | ${r.ratio === undefined ? '—' : `**${fmt(r.ratio, 2)}×** (${r.ratios!.map((x) => fmt(x, 2)).join(', ')})`} | ${r.target} | ${r.met ? 'yes' : 'no'} |`,
    ),
  ];
  return lines.join('\n');
}

/** Bars: each row's ratio (or value against its target) on a common scale, the target drawn as a mark; plus resolve latency percentiles. */
export function svgChart(run: BenchRun): string {
  const width = 1100;
  const left = 330;
  const barMax = width - left - 230;
  const bars = run.rows.filter((r) => r.ratio !== undefined);
  const latency = run.rows.filter((r) => r.latency);
  const rowH = 26;
  const height = 70 + bars.length * rowH + 60 + latency.length * 2 * rowH + 30;
  const scale = (x: number) => Math.min(1.2, x) * (barMax / 1.2);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold">${esc(run.header)}</text>`,
    `<text x="10" y="40">measured / ceiling in the same run (median of ${run.reps}); the dashed mark is the ratio target where the issue gives one</text>`,
  ];
  let y = 60;
  for (const r of bars) {
    const targetRatio = /≥ ([\d.]+)×/.exec(r.target)?.[1];
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(r.id)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${scale(r.ratio!)}" height="${rowH - 8}" fill="${r.met ? '#2e7d32' : '#c62828'}"/>`);
    parts.push(`<text x="${left + scale(r.ratio!) + 6}" y="${y + 15}">${fmt(r.ratio!, 2)}× ${r.met ? '(met)' : '(not met)'}</text>`);
    if (targetRatio) {
      const x = left + scale(Number(targetRatio));
      parts.push(`<line x1="${x}" x2="${x}" y1="${y}" y2="${y + rowH - 2}" stroke="#000" stroke-dasharray="3,2"/>`);
    }
    y += rowH;
  }
  y += 30;
  parts.push(`<text x="10" y="${y}" font-weight="bold">resolve latency (ms): API vs bare route, p50 and p99</text>`);
  y += 10;
  const maxMs = Math.max(1, ...latency.flatMap((r) => [r.latency!.p99, r.latency!.bareP99]));
  for (const r of latency) {
    for (const [label, p50, p99] of [
      [`${r.id} API`, r.latency!.p50, r.latency!.p99],
      [`${r.id} bare`, r.latency!.bareP50, r.latency!.bareP99],
    ] as const) {
      const w99 = (p99 / maxMs) * barMax;
      const w50 = (p50 / maxMs) * barMax;
      parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(label)}</text>`);
      parts.push(`<rect x="${left}" y="${y + 3}" width="${w99}" height="${rowH - 8}" fill="#90caf9"/>`);
      parts.push(`<rect x="${left}" y="${y + 3}" width="${w50}" height="${rowH - 8}" fill="#1565c0"/>`);
      parts.push(`<text x="${left + w99 + 6}" y="${y + 15}">p50 ${fmt(p50, 2)} / p99 ${fmt(p99, 2)}</text>`);
      y += rowH;
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export function writeReports(dir: string, run: BenchRun): string {
  const table = markdownTable(run);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(
    join(dir, 'latest.md'),
    `# ${run.header}\n\n${table}\n\n${run.notes.map((n) => `- ${n}`).join('\n')}\n\nSizes: ${Object.entries(run.sizes)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ')}; run took ${fmt(run.durationS)} s. Chart: latest.svg.\n`,
  );
  writeFileSync(join(dir, 'latest.svg'), svgChart(run));
  return table;
}
