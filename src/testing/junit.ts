/** One test case from a JUnit XML report. */
export interface TestCase {
  /** The test's path: its Describe/Context blocks and its name, as Pester writes them. */
  name: string;
  suite: string;
  outcome: 'passed' | 'failed' | 'skipped';
  message: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of tag.matchAll(/([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    out[match[1] as string] = decode(match[3] ?? match[4] ?? '');
  }
  return out;
}

/**
 * Reads the <testcase> elements of a JUnit XML report (the flat shape Pester writes: testcase
 * elements with an optional <failure> or <skipped> child). Throws when the text is not such a
 * report, so a broken result file is never read as "no failures".
 */
export function parseJUnit(xml: string): TestCase[] {
  if (!/<testsuites?[\s>]/.test(xml)) throw new Error('not a JUnit XML report: no <testsuites> element');
  const cases: TestCase[] = [];
  const pattern = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(pattern)) {
    const attrs = attributes(match[1] ?? '');
    const body = match[3] ?? '';
    const failure = /<(failure|error)\b([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    const skipped = /<skipped\b/.test(body) || attrs.status === 'Skipped';
    cases.push({
      name: attrs.name ?? '(unnamed)',
      suite: attrs.classname ?? '',
      outcome: failure ? 'failed' : skipped ? 'skipped' : 'passed',
      message: failure
        ? decode(
            [attributes(failure[2] ?? '').message, failure[4]]
              .filter(Boolean)
              .join('\n')
              .replace(/<!\[CDATA\[|\]\]>/g, ''),
          )
        : '',
    });
  }
  return cases;
}
