import type { Row } from './scenario';

const HEADER = [
  '#',
  'scenario',
  'events sent',
  'runs expected',
  'runs completed',
  'duplicates',
  'lost',
  'recover (s)',
  'result',
];

function cells(row: Row): string[] {
  if (row.skipped) return [String(row.id), row.name, '', '', '', '', '', '', `skipped: ${row.skipped}`];
  return [
    String(row.id),
    row.name,
    String(row.eventsSent),
    String(row.runsExpected),
    String(row.runsCompleted),
    String(row.duplicates),
    String(row.lost),
    row.recoverS === undefined ? '-' : row.recoverS === Infinity ? 'never' : row.recoverS.toFixed(1),
    row.pass ? 'pass' : 'FAIL',
  ];
}

/** A Markdown table (what the README shows), padded for the terminal. */
export function table(rows: Row[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(HEADER), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...all.slice(1).map(line)].join('\n');
}

/** The notes and, when it failed, the reasons, under the row. */
export function details(row: Row): string {
  const lines = [`${row.id}. ${row.name} (${row.seconds.toFixed(0)} s)`];
  for (const note of row.notes) lines.push(`   - ${note}`);
  for (const failure of row.failures) lines.push(`   ! ${failure}`);
  return lines.join('\n');
}
