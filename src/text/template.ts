import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A value for a template: text for {{name}}; true/false for a conditional section
 * {{#name}}...{{/name}} (and its inverse {{^name}}...{{/name}}); a list of value sets for a
 * section repeated once per item, whose placeholders look in the item first, then outwards.
 */
export type TemplateValue = string | number | boolean | TemplateValues[];
export interface TemplateValues {
  [key: string]: TemplateValue;
}

/** Renders another template by name (a {{>name}} partial). */
type PartialReader = (name: string) => string;

type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'value'; name: string }
  | { kind: 'section'; name: string; inverted: boolean; body: TemplateNode[] }
  | { kind: 'partial'; name: string; indent: string };

// {{name}}, {{#name}}, {{^name}}, {{/name}}, or {{>file}} (with |indent once made standalone).
const TAG = /\{\{(?:([#^/]?)(\w+)|>([\w./-]+)(?:\|([ \t]*))?)\}\}/g;
// A section or partial tag alone on its line leaves no blank line behind (as in Mustache), so
// templates can put each tag on its own line and the output still reads as hand-written; a
// partial alone on its line is indented as deep as its tag.
const STANDALONE = /^([ \t]*)(\{\{(?:[#^/]\w+|>[\w./-]+)\}\})[ \t]*(?:\r?\n|$)/gm;

/**
 * Fills a template. Every placeholder must get a value and every value must be named by the
 * template, so a renamed field fails the build instead of leaving a hole in generated code.
 */
export function fill(
  template: string,
  values: TemplateValues,
  source = 'template',
  partial: PartialReader = (name) => {
    throw new Error(`${source}: no partials here ({{>${name}}})`);
  },
): string {
  const tree = parse(template, source);
  const named = new Set<string>();
  collectNames(tree, partial, named, new Set([source]));
  const unused = [...valueKeys(values)].filter((key) => !named.has(key));
  if (unused.length > 0) throw new Error(`${source}: values never used: ${unused.join(', ')}`);
  return render(tree, [values], source, partial);
}

function parse(template: string, source: string): TemplateNode[] {
  const text = template.replace(STANDALONE, (_, indent: string, tag: string) =>
    tag.startsWith('{{>') ? `${tag.slice(0, -2)}|${indent}}}` : tag,
  );
  const root: TemplateNode[] = [];
  const open: { name: string; nodes: TemplateNode[] }[] = [];
  let nodes = root;
  let last = 0;
  for (const match of text.matchAll(TAG)) {
    const [tag, sigil, valueName, file, indent = ''] = match;
    const name = valueName ?? file ?? '';
    if (match.index > last) nodes.push({ kind: 'text', text: text.slice(last, match.index) });
    last = match.index + tag.length;
    if (sigil === '#' || sigil === '^') {
      const section: TemplateNode = { kind: 'section', name, inverted: sigil === '^', body: [] };
      nodes.push(section);
      open.push({ name, nodes });
      nodes = section.body;
    } else if (sigil === '/') {
      const closing = open.pop();
      if (closing?.name !== name)
        throw new Error(`${source}: {{/${name}}} closes ${closing ? `{{#${closing.name}}}` : 'nothing'}`);
      nodes = closing.nodes;
    } else if (file !== undefined) nodes.push({ kind: 'partial', name, indent });
    else nodes.push({ kind: 'value', name });
  }
  const unclosed = open.at(-1);
  if (unclosed) throw new Error(`${source}: {{#${unclosed.name}}} is never closed`);
  if (last < text.length) nodes.push({ kind: 'text', text: text.slice(last) });
  return nodes;
}

/** Every name the template (and the partials it includes) could ask for, rendered or not. */
function collectNames(tree: TemplateNode[], partial: PartialReader, into: Set<string>, seen: Set<string>) {
  for (const node of tree) {
    if (node.kind === 'value') into.add(node.name);
    if (node.kind === 'section') {
      into.add(node.name);
      collectNames(node.body, partial, into, seen);
    }
    if (node.kind === 'partial' && !seen.has(node.name)) {
      seen.add(node.name);
      collectNames(parse(partial(node.name), node.name), partial, into, seen);
    }
  }
}

function valueKeys(values: TemplateValues, into = new Set<string>()): Set<string> {
  for (const [key, value] of Object.entries(values)) {
    into.add(key);
    if (Array.isArray(value)) for (const item of value) valueKeys(item, into);
  }
  return into;
}

function lookup(scopes: TemplateValues[], name: string, source: string): TemplateValue {
  for (const scope of scopes) if (Object.hasOwn(scope, name)) return scope[name] as TemplateValue;
  throw new Error(`${source}: no value for {{${name}}}`);
}

function render(
  tree: TemplateNode[],
  scopes: TemplateValues[],
  source: string,
  partial: PartialReader,
): string {
  let out = '';
  for (const node of tree) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'value') {
      const value = lookup(scopes, node.name, source);
      if (typeof value === 'boolean' || Array.isArray(value))
        throw new Error(
          `${source}: {{${node.name}}} is a section value; write {{#${node.name}}}...{{/${node.name}}}`,
        );
      out += String(value);
    } else if (node.kind === 'section') {
      const value = lookup(scopes, node.name, source);
      if (typeof value !== 'boolean' && !Array.isArray(value))
        throw new Error(
          `${source}: {{#${node.name}}} needs true, false or a list, not ${JSON.stringify(value)}`,
        );
      const present = Array.isArray(value) ? value.length > 0 : value;
      if (node.inverted) {
        if (!present) out += render(node.body, scopes, source, partial);
      } else if (Array.isArray(value)) {
        for (const item of value) out += render(node.body, [item, ...scopes], source, partial);
      } else if (value) out += render(node.body, scopes, source, partial);
    } else {
      const text = render(parse(partial(node.name), node.name), scopes, node.name, partial);
      out += node.indent ? text.replace(/^(?=.)/gm, node.indent) : text;
    }
  }
  return out;
}

/** Reads templates from one folder, each once; {{>name}} includes another of them. */
export function templateReader(dir: string): (name: string, values: TemplateValues) => string {
  const cache = new Map<string, string>();
  const read = (name: string) => {
    let text = cache.get(name);
    if (text === undefined) {
      text = readFileSync(join(dir, name), 'utf8');
      cache.set(name, text);
    }
    return text;
  };
  return (name, values) => fill(read(name), values, name, read);
}
