import type { ConfigResult, Row } from './load.bench';

/** The target figures (README "Performance"), printed beside the measurements. Reported, never asserted. */
export interface Target {
  what: string;
  target: string;
  measured: number;
  unit: string;
  met: boolean | null;
}

export function targets(result: ConfigResult): Target[] {
  const find = (phase: Row['phase'], senders: number): Row | undefined =>
    result.rows.find((r) => r.phase === phase && r.senders === senders);
  const t = (
    what: string,
    target: string,
    measured: number | undefined,
    unit: string,
    ok: (v: number) => boolean,
  ): Target => {
    const value = measured ?? Number.NaN;
    return { what, target, measured: value, unit, met: Number.isNaN(value) ? null : ok(value) };
  };
  const { ratios, ingestion, growth } = result;
  return [
    t(
      'interpreter throughput at 10 senders',
      '>= 60 runs/s',
      find('interpreter', 10)?.runsPerSec,
      'runs/s',
      (v) => v >= 60,
    ),
    t('interpreter p50 at 1 sender', '< 150 ms', find('interpreter', 1)?.p50Ms, 'ms', (v) => v < 150),
    t('interpreter p99 at 10 senders', '< 1000 ms', find('interpreter', 10)?.p99Ms, 'ms', (v) => v < 1000),
    t(
      'interpreter / baseline throughput (10 senders)',
      '>= 0.9',
      ratios.interpreterVsBaselineThroughput,
      'x',
      (v) => v >= 0.9,
    ),
    t('interpreter / baseline p50 (10 senders)', '<= 1.15', ratios.interpreterVsBaselineP50, 'x', (v) => v <= 1.15),
    t('ingestion p99 at 200/s', '< 50 ms', ingestion.p99MsAt200rps, 'ms', (v) => v < 50),
    t('growth p50 ratio, POST /v1/events', '<= 1.5', growth.p50Ratio.events, 'x', (v) => v <= 1.5),
    t('growth p50 ratio, POST /v1/customers', '<= 1.5', growth.p50Ratio.customers, 'x', (v) => v <= 1.5),
  ];
}

function num(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function align(header: string[], rows: string[][], left = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatConfig(result: ConfigResult): string {
  const out: string[] = [];
  const s = result.servers;
  out.push(
    `== configuration: ${result.config} ==` +
      (s
        ? `\nservers: ${s.how}\nTemporal ${s.temporal} (${s.temporalVersion}), ${s.database} ${s.ferretdbVersion} on ${s.backend}`
        : ''),
  );
  out.push(
    align(
      ['scenario', 'senders', 'events', 'runs/s', 'p50 ms', 'p99 ms', 'errors', 'lost'],
      result.rows.map((r) => [
        r.scenario + (r.timedOut ? ' (deadline hit)' : ''),
        String(r.senders),
        String(r.events),
        num(r.runsPerSec, 1),
        num(r.p50Ms, 1),
        num(r.p99Ms, 1),
        String(r.errors),
        String(r.lost),
      ]),
    ),
  );
  const notes = [
    ...new Set(
      result.rows.filter((r) => r.note).map((r) => `  ${r.scenario.replace(/ \(.*\)$/, '')}: ${r.note ?? ''}`),
    ),
  ];
  if (notes.length > 0) out.push(`how each row is measured:\n${notes.join('\n')}`);
  const reasons = result.rows.filter((r) => r.reasons);
  if (reasons.length > 0) {
    out.push(
      `errors and losses:\n${reasons.map((r) => `  ${r.scenario} x${r.senders}: ${JSON.stringify(r.reasons)}`).join('\n')}`,
    );
  }
  const { ratios, growth } = result;
  out.push(
    [
      `ratios at 10 senders: interpreter/baseline throughput ${num(ratios.interpreterVsBaselineThroughput, 2)}, ` +
        `p50 ${num(ratios.interpreterVsBaselineP50, 2)}; baseline/floor throughput ${num(ratios.baselineVsFloorThroughput, 2)} ` +
        `(vs the floor of regular activities ${num(ratios.baselineVsRegularFloorThroughput, 2)}); ` +
        `local/regular activities throughput ${num(ratios.localVsRegularActivitiesThroughput, 2)}`,
      `ratios at 1 sender: interpreter/baseline p50 ${num(ratios.at1Sender.interpreterVsBaselineP50, 2)}, ` +
        `baseline/floor p50 ${num(ratios.at1Sender.baselineVsFloorP50, 2)}, ` +
        `local/regular activities p50 ${num(ratios.at1Sender.localVsRegularActivitiesP50, 2)}`,
      growth.load
        ? `growth: loaded ${growth.load.customers} each of customers, conversations, messages, events in ` +
          `${(growth.load.ms / 1000).toFixed(1)} s${growth.load.complete ? '' : ' (partial: deadline hit)'}; p50 after/before: ` +
          `POST /v1/events ${num(growth.p50Ratio.events, 2)}, POST /v1/customers ${num(growth.p50Ratio.customers, 2)}, ` +
          `interpreter x1 ${num(growth.p50Ratio.interpreter1, 2)}, x10 ${num(growth.p50Ratio.interpreter10, 2)}`
        : 'growth: not measured',
      `errors (non-2xx, refused starts) ${result.errors}; lost (accepted, no completed run) ${result.lost}` +
        (result.setupMs !== undefined ? `; setup ${(result.setupMs / 1000).toFixed(1)} s` : '') +
        `, total ${(result.totalMs / 1000).toFixed(1)} s`,
    ].join('\n'),
  );
  out.push(
    'targets (reported, not asserted):\n' +
      align(
        ['target', 'wanted', 'measured', ''],
        targets(result).map((t) => [
          t.what,
          t.target,
          `${num(t.measured, t.unit === 'x' ? 2 : 1)} ${t.unit}`,
          t.met === null ? 'not measured' : t.met ? 'met' : 'missed',
        ]),
        2,
      ),
  );
  if (result.failure) out.push(`stopped early: ${result.failure.split('\n')[0] ?? ''}`);
  return out.join('\n\n');
}
