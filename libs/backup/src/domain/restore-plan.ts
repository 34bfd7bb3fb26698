import type { BackupSection, SectionChange } from '#database';
import { canonicalJson } from './backup-document.js';

export type RestoreMode = 'replace' | 'merge';

/** What a restore does (or, in a dry run, would do) to one section, by item key. */
export interface SectionPlan {
  created: string[];
  updated: string[];
  removed: string[];
  unchanged: number;
}

/**
 * Compares a section's stored items with the document's. Replace makes the section exactly the
 * document's; merge adds and updates, removes nothing. An item the document holds without its secret is
 * compared without the stored secret: the restore keeps that secret.
 */
export function planSection<T>(section: BackupSection<T>, stored: T[], incoming: T[], mode: RestoreMode): { change: SectionChange<T>; plan: SectionPlan } {
  const storedByKey = new Map(stored.map((item) => [section.key(item), item]));
  const incomingByKey = new Map(incoming.map((item) => [section.key(item), item]));
  const plan: SectionPlan = { created: [], updated: [], removed: [], unchanged: 0 };
  const upsert: T[] = [];
  for (const item of incoming) {
    const key = section.key(item);
    const current = storedByKey.get(key);
    if (current === undefined) {
      plan.created.push(key);
      upsert.push(item);
      continue;
    }
    const comparable = section.secret && section.secret.of(item) === undefined ? section.secret.without(current) : current;
    if (canonicalJson(comparable) === canonicalJson(item)) plan.unchanged++;
    else {
      plan.updated.push(key);
      upsert.push(item);
    }
  }
  const remove = mode === 'replace' ? [...storedByKey.keys()].filter((key) => !incomingByKey.has(key)) : [];
  plan.removed.push(...remove);
  const all =
    mode === 'replace'
      ? incoming
      : [...stored.map((item) => incomingByKey.get(section.key(item)) ?? item), ...incoming.filter((i) => !storedByKey.has(section.key(i)))];
  return { change: { all, upsert, remove }, plan };
}

/** The keys a document names twice in one section, as `[index, first index]`. */
export function duplicateKeys<T>(section: BackupSection<T>, items: T[]): Array<[number, number]> {
  const seen = new Map<string, number>();
  const duplicates: Array<[number, number]> = [];
  items.forEach((item, index) => {
    const key = section.key(item);
    if (seen.has(key)) duplicates.push([index, seen.get(key)!]);
    else seen.set(key, index);
  });
  return duplicates;
}
