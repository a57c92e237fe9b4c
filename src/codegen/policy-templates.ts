import { configFields, numberRange, valueAt } from '../config/fields.js';
import {
  GUARD_POLICY_HOST,
  LOCAL_ONLY_FIELDS,
  LOCK_LOCAL_SETTINGS,
  POLICY_FIELDS,
  POLICY_KEY_PATH,
  type PolicyField,
} from '../config/policy-fields.js';
import { POLICY_TEXTS_ZH_CN, type PolicyText } from '../config/policy-texts.zh-CN.js';
import { configSchema } from '../config/schema.js';
import { type TemplateValues, templateReader } from '../text/template.js';
import type { SchemaDocs } from './policy-docs.js';

// The Group Policy templates (ADMX, and an ADML per language) generated from the config schema,
// as VS Code generates its own: the fields, their ranges and defaults from the zod schema, the
// English explanations from the fields' TSDoc, the Chinese ones from policy-texts.zh-CN.ts. A
// policy and a config field that do not match each other fail the build here.

export const POLICY_FILES = {
  admx: 'policy/GoProxyGuard.admx',
  adml: { 'en-US': 'policy/en-US/GoProxyGuard.adml', 'zh-CN': 'policy/zh-CN/GoProxyGuard.adml' },
} as const;

const CATEGORY = 'GoProxyGuard';
const CATEGORY_STRING = 'Category_GoProxyGuard';
const SUPPORTED_ON = 'SUPPORTED_GoProxyGuard';

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** What policy sets and what it leaves local, checked against the schema's fields. */
export interface PolicyCoverage {
  fields: readonly string[];
  policies: readonly PolicyField[];
  localOnly: Readonly<Record<string, string>>;
  zh: Readonly<Record<string, PolicyText>>;
}

/** Every reason the policies and the config schema disagree; the build fails on any. */
export function coverageProblems({ fields, policies, localOnly, zh }: PolicyCoverage): string[] {
  const problems: string[] = [];
  const byField = new Map(policies.filter((p) => p.field !== undefined).map((p) => [p.field as string, p]));
  for (const field of fields) {
    if (!byField.has(field) && !(field in localOnly)) {
      problems.push(
        `config field ${field} has no policy: add it to POLICY_FIELDS, or to LOCAL_ONLY_FIELDS with the reason (src/config/policy-fields.ts)`,
      );
    }
    if (byField.has(field) && field in localOnly) {
      problems.push(`config field ${field} is both a policy and local-only; keep one`);
    }
  }
  for (const policy of policies) {
    if (policy.field !== undefined && !fields.includes(policy.field)) {
      problems.push(`policy ${policy.name} sets ${policy.field}, which is not a config field`);
    }
    if (policy.field === undefined && policy.name !== LOCK_LOCAL_SETTINGS) {
      problems.push(`policy ${policy.name} names no config field`);
    }
    const text = zh[policy.name];
    if (!text) problems.push(`policy ${policy.name} has no Chinese text in src/config/policy-texts.zh-CN.ts`);
    else if (policy.entry !== undefined && text.entry === undefined) {
      problems.push(`policy ${policy.name} has no Chinese entry form in src/config/policy-texts.zh-CN.ts`);
    }
  }
  for (const field of Object.keys(localOnly)) {
    if (!fields.includes(field))
      problems.push(`LOCAL_ONLY_FIELDS names ${field}, which is not a config field`);
  }
  for (const name of Object.keys(zh)) {
    if (!policies.some((p) => p.name === name))
      problems.push(`policy-texts.zh-CN.ts has text for ${name}, which is no policy`);
  }
  const names = policies.map((p) => p.name.toLowerCase());
  for (const [i, name] of names.entries()) {
    if (names.indexOf(name) !== i) problems.push(`two policies are named ${policies[i]?.name}`);
  }
  return problems;
}

/** The decimal policy's bounds: the schema's own, or the row's for a field that is not a number. */
export function decimalRange(policy: PolicyField): { min: number; max: number } {
  if (policy.range) return policy.range;
  const schema = configFields().find((f) => f.path === policy.field)?.schema;
  const range = schema && numberRange(schema);
  if (!range) throw new Error(`policy ${policy.name}: ${policy.field} has no numeric range in the schema`);
  return range;
}

/** The default shown in the editor's box, from the schema's defaults. */
function defaultShown(policy: PolicyField, defaults: unknown): string {
  const value = policy.field === undefined ? undefined : valueAt(defaults, policy.field);
  if (policy.name === 'GuardPort' && typeof value === 'string')
    return value.slice(value.lastIndexOf(':') + 1);
  if (policy.name === 'Canary' && typeof value === 'object' && value !== null) {
    const { module, version } = value as { module: string; version: string };
    return `${module}@${version}`;
  }
  return value === undefined || typeof value === 'object' ? '' : String(value);
}

/** The words around each explanation, per language: how it is stored, what form entries take. */
const WORDS = {
  'en-US': {
    displayName: 'GoProxyGuard',
    description: 'Go module mirrors, corporate proxies and the guard proxy of GoProxyGuard.',
    category: 'GoProxyGuard',
    supportedOn: 'GoProxyGuard 0.1 and later (Windows 10 and later)',
    entry: (form: string) => `Each entry: ${form}.`,
    port: `The guard listens on ${GUARD_POLICY_HOST} at this port.`,
    stored: (policy: PolicyField, where: string) =>
      `Registry: ${where}${policy.field ? `; config file field: ${policy.field}` : ''}. Computer policy wins over user policy, and both over the config file; a setting set by policy cannot be changed locally.`,
  },
  'zh-CN': {
    displayName: 'GoProxyGuard',
    description: 'GoProxyGuard 的 Go 模块镜像、公司代理和守护代理设置。',
    category: 'GoProxyGuard',
    supportedOn: 'GoProxyGuard 0.1 及更高版本（Windows 10 及更高版本）',
    entry: (form: string) => `每项格式：${form}。`,
    port: `守护代理在 ${GUARD_POLICY_HOST} 的此端口监听。`,
    stored: (policy: PolicyField, where: string) =>
      `注册表：${where}${policy.field ? `；配置文件字段：${policy.field}` : ''}。计算机策略优先于用户策略，两者都优先于配置文件；由策略设置的项不能在本地更改。`,
  },
} as const;

type Language = keyof typeof WORDS;

function storedAt(policy: PolicyField): string {
  const kind = {
    boolean: 'REG_DWORD 1/0',
    decimal: 'REG_DWORD',
    text: 'REG_SZ',
    list: 'REG_SZ values 1, 2, ...',
  };
  return policy.kind === 'list'
    ? `${POLICY_KEY_PATH}\\${policy.name} (${kind.list})`
    : `${POLICY_KEY_PATH}\\${policy.name} (${policy.kind === 'text' && expandable(policy) ? 'REG_EXPAND_SZ' : kind[policy.kind]})`;
}

const expandable = (policy: PolicyField) => policy.name === 'MetricsTextfile';

/** Fails with every problem at once, or renders the ADMX and one ADML per language. */
export function generatePolicyTemplates(
  docs: SchemaDocs,
  info: { version: string },
  templatesDir: string,
  coverage: PolicyCoverage = {
    fields: configFields().map((f) => f.path),
    policies: POLICY_FIELDS,
    localOnly: LOCAL_ONLY_FIELDS,
    zh: POLICY_TEXTS_ZH_CN,
  },
): Map<string, string> {
  const problems = coverageProblems(coverage);
  const explained = coverage.policies.map((policy) => {
    const doc =
      policy.field === undefined
        ? docs.constant(
            'src/config/policy-fields.ts',
            policy.name === LOCK_LOCAL_SETTINGS ? 'LOCK_LOCAL_SETTINGS' : policy.name,
          )
        : docs.field(policy.field);
    if (!doc)
      problems.push(`policy ${policy.name}: ${policy.field ?? policy.name} has no TSDoc to explain it`);
    return { policy, doc: doc ?? '' };
  });
  if (problems.length > 0) throw new Error(`policy templates:\n  ${problems.join('\n  ')}`);

  const defaults = configSchema.parse({});
  const render = templateReader(templatesDir);
  const common = {
    version: info.version,
    revision: '1.0',
    categoryString: CATEGORY_STRING,
    supportedOn: SUPPORTED_ON,
  };
  const kinds = (policy: PolicyField) => ({
    boolean: policy.kind === 'boolean',
    decimal: policy.kind === 'decimal',
    text: policy.kind === 'text',
    list: policy.kind === 'list',
  });
  const files = new Map<string, string>();
  files.set(
    POLICY_FILES.admx,
    render(POLICY_FILES.admx, {
      ...common,
      category: CATEGORY,
      key: xml(POLICY_KEY_PATH),
      policies: explained.map(({ policy }) => ({
        name: policy.name,
        ...kinds(policy),
        ...(policy.kind === 'decimal' ? mapRange(decimalRange(policy)) : {}),
        ...(policy.kind === 'text' ? { expandable: String(expandable(policy)) } : {}),
      })),
    }),
  );
  for (const language of Object.keys(POLICY_FILES.adml) as Language[]) {
    const words = WORDS[language];
    files.set(
      POLICY_FILES.adml[language],
      render('policy/GoProxyGuard.adml', {
        ...common,
        language,
        textSource:
          language === 'en-US' ? 'the TSDoc of the config fields' : 'src/config/policy-texts.zh-CN.ts',
        displayName: xml(words.displayName),
        description: xml(words.description),
        categoryName: xml(words.category),
        supportedOnText: xml(words.supportedOn),
        policies: explained.map(({ policy, doc }) => {
          const zh = coverage.zh[policy.name] as PolicyText;
          const title = language === 'en-US' ? policy.title : zh.title;
          const explain = [
            language === 'en-US' ? doc : zh.explain,
            ...(policy.entry
              ? [words.entry(language === 'en-US' ? policy.entry : (zh.entry as string))]
              : []),
            ...(policy.name === 'GuardPort' ? [words.port] : []),
            words.stored(policy, storedAt(policy)),
          ].join('\n\n');
          return {
            name: policy.name,
            title: xml(title),
            explain: xml(explain),
            ...kinds(policy),
            ...(policy.kind === 'boolean'
              ? {}
              : {
                  label: xml(
                    policy.entry && policy.kind === 'list'
                      ? `${title} (${language === 'en-US' ? policy.entry : zh.entry})`
                      : title,
                  ),
                  ...(policy.kind === 'list' ? {} : { defaultValue: xml(defaultShown(policy, defaults)) }),
                }),
          } satisfies TemplateValues;
        }),
      }),
    );
  }
  return files;
}

const mapRange = ({ min, max }: { min: number; max: number }) => ({ min: String(min), max: String(max) });
