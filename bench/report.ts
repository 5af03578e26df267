/** The benchmark report: rows with their targets, the machine, a printed table and a JSON file. */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';

export type Target = { readonly op: '<=' | '>='; readonly limit: number };

export type Row = {
  readonly measurement: string;
  readonly value: number;
  readonly unit: string;
  /** Undefined for a row that only gives context (no target of its own). */
  readonly target?: Target;
  /** How it was measured: runs, samples, sizes. */
  readonly detail: string;
};

export const STATUSES = ['MET', 'MISSED', 'info'] as const;
export type Status = (typeof STATUSES)[number];

export type Machine = {
  readonly nproc: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
};

export function status(row: Row): Status {
  if (row.target === undefined) return 'info';
  const met = row.target.op === '<=' ? row.value <= row.target.limit : row.value >= row.target.limit;
  return met ? 'MET' : 'MISSED';
}

export function machine(): Machine {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  return {
    nproc: availableParallelism(),
    cpu,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

const round = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

export const formatValue = (v: number, unit: string): string =>
  unit === '×' ? `${round(v)}×` : `${round(v)} ${unit}`;

const formatTarget = (row: Row): string =>
  row.target ? `${row.target.op === '<=' ? '≤' : '≥'} ${formatValue(row.target.limit, row.unit)}` : '—';

/** The rows as a Markdown table (it reads as a plain-text table in a terminal too). */
export function formatTable(rows: readonly Row[]): string {
  const lines = ['| measurement | result | target | status |', '|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.measurement} | ${formatValue(r.value, r.unit)} | ${formatTarget(r)} | ${status(r)} |`);
  }
  return lines.join('\n');
}

export type Report = {
  readonly generatedAt: string;
  readonly durationSeconds: number;
  readonly machine: Machine;
  readonly rows: readonly (Row & { readonly status: Status })[];
  readonly summary: { readonly met: number; readonly missed: number };
};

export function buildReport(rows: readonly Row[], startedAt: Date, finishedAt: Date): Report {
  const withStatus = rows.map((r) => ({ ...r, status: status(r) }));
  return {
    generatedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine: machine(),
    rows: withStatus,
    summary: {
      met: withStatus.filter((r) => r.status === 'MET').length,
      missed: withStatus.filter((r) => r.status === 'MISSED').length,
    },
  };
}

export async function writeReport(report: Report, path: string): Promise<void> {
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
