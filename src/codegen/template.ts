import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Fills {{name}} placeholders. Every placeholder must get a value and every value must be
 * used, so a renamed field fails the build instead of leaving a hole in generated code.
 */
export function fill(template: string, values: Record<string, string | number>, source = 'template'): string {
  const used = new Set<string>();
  const out = template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`${source}: no value for {{${key}}}`);
    used.add(key);
    return String(values[key]);
  });
  const unused = Object.keys(values).filter((key) => !used.has(key));
  if (unused.length > 0) throw new Error(`${source}: values never used: ${unused.join(', ')}`);
  return out;
}

/** Reads templates from one folder, each once. */
export function templateReader(
  dir: string,
): (name: string, values: Record<string, string | number>) => string {
  const cache = new Map<string, string>();
  return (name, values) => {
    let text = cache.get(name);
    if (text === undefined) {
      text = readFileSync(join(dir, name), 'utf8');
      cache.set(name, text);
    }
    return fill(text, values, name);
  };
}
