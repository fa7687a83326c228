/**
 * What an import could not carry over exactly. `unmapped` items change who is paged or when
 * (dropped, or kept only approximately): the command exits 3 when there are any. `note` items
 * change nothing about paging (a team's membership, a description) and are listed for the record.
 */

export type ReportSeverity = 'unmapped' | 'note';

export interface ReportItem {
  severity: ReportSeverity;
  /** File and path in the export, e.g. `schedules.json data[0].rotations[1].timeRestriction`. */
  source: string;
  what: string;
  why: string;
}

export class ImportReport {
  readonly items: ReportItem[] = [];

  unmapped(source: string, what: string, why: string): void {
    this.items.push({ severity: 'unmapped', source, what, why });
  }

  note(source: string, what: string, why: string): void {
    this.items.push({ severity: 'note', source, what, why });
  }

  get unmappedCount(): number {
    return this.items.filter((i) => i.severity === 'unmapped').length;
  }

  /** One block per item, unmapped first, for stderr. */
  format(): string {
    const order: ReportSeverity[] = ['unmapped', 'note'];
    const lines: string[] = [];
    for (const severity of order) {
      const items = this.items.filter((i) => i.severity === severity);
      if (!items.length) continue;
      lines.push(severity === 'unmapped' ? `${items.length} item(s) not mapped exactly (paging differs until fixed by hand):` : `${items.length} note(s) (paging unaffected):`);
      for (const i of items) lines.push(`  ${i.source}`, `    ${i.what}: ${i.why}`);
    }
    return lines.length ? lines.join('\n') + '\n' : 'everything mapped\n';
  }
}
