import { writeFileSync } from 'node:fs';

export interface FaultFigures {
  fault: string;
  /** First failed write (user or take attempt) to the first success after the last one; 0: none failed. */
  writeUnavailableMs: number;
  /** Per lease that changed holder: fault to new holder. */
  leaseTakeoverMs: Record<string, number>;
  eventDelayP50Ms: number;
  eventDelayMaxMs: number;
  events: number;
  eventsFromCatchUp: number;
  reads: { total: number; failed: number };
  writes: { total: number; failed: number; statuses: Record<string, number> };
  takes: { keys: number; attempts: number; retried: number; longestMs: number };
  acknowledgedWritesLost: number;
  keysActedOtherThanOnce: number;
  eventsLost: number;
  notes: string[];
}

/** `ha-report.md`: one table per fault, as the README's HA section quotes it. */
export function writeHaReport(path: string, figures: FaultFigures[], setup: string): void {
  const lines = [
    '# HA suite report',
    '',
    `Written by \`npm run test:ha\` on ${new Date().toISOString()}. ${setup}`,
    '',
    '| fault | write unavailability | leases moved (after the fault began) | event delay p50 / max | reads failed | writes failed (POST, not retried) | take keys (attempts, longest key) | acknowledged writes lost | keys acted ≠ once | events lost (via catch-up) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...figures.map((f) =>
      [
        f.fault,
        `${(f.writeUnavailableMs / 1000).toFixed(1)} s`,
        Object.entries(f.leaseTakeoverMs)
          .map(([lease, ms]) => `${lease} ${(ms / 1000).toFixed(1)} s`)
          .join(', ') || '—',
        `${f.eventDelayP50Ms} / ${f.eventDelayMaxMs} ms (${f.events})`,
        `${f.reads.failed} / ${f.reads.total}`,
        `${f.writes.failed} / ${f.writes.total}${
          f.writes.failed
            ? ` (${Object.entries(f.writes.statuses)
                .map(([s, n]) => `${s === '0' ? 'no answer' : s}×${n}`)
                .join(', ')})`
            : ''
        }`,
        `${f.takes.keys} (${f.takes.attempts}, ${(f.takes.longestMs / 1000).toFixed(1)} s)`,
        String(f.acknowledgedWritesLost),
        String(f.keysActedOtherThanOnce),
        `${f.eventsLost} (${f.eventsFromCatchUp})`,
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .replace(/$/, ' |'),
    ),
    '',
    ...figures.filter((f) => f.notes.length > 0).flatMap((f) => [`**${f.fault}**: ${f.notes.join('; ')}.`, '']),
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
}
