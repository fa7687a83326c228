/**
 * Klaxon names (users, schedules, policies) are lower-case slugs; vendor names are free text and
 * vendor ids are opaque. A table hands out one unique, readable slug per vendor id.
 */

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 55);
  return NAME.test(s) ? s : 'x';
}

export class NameTable {
  readonly #byId = new Map<string, string>();
  readonly #taken = new Set<string>();

  /** The slug for `id`, made from `text` on first use; `-2`, `-3` … when the slug is taken. */
  name(id: string, text: string): string {
    const known = this.#byId.get(id);
    if (known) return known;
    const base = slug(text);
    let name = base;
    for (let n = 2; this.#taken.has(name); n++) name = `${base}-${n}`;
    this.#byId.set(id, name);
    this.#taken.add(name);
    return name;
  }

  get(id: string): string | undefined {
    return this.#byId.get(id);
  }
}

/**
 * Layer names within one schedule: the vendor's rotation names, made unique (`Nights (2)`) and kept
 * off the names Klaxon reserves for its own sources (`override`, `ics`).
 */
export function layerLabels(reserved: readonly string[]): (label: string) => string {
  const taken = new Set(reserved);
  return (label) => {
    let name = label;
    for (let n = 2; taken.has(name); n++) name = `${label} (${n})`;
    taken.add(name);
    return name;
  };
}
