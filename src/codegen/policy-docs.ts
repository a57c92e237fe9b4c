import { type Node, type ObjectLiteralExpression, Project, SyntaxKind } from 'ts-morph';

// Reads the TSDoc that documents each config field in src/config/schema.ts, so that the policy
// templates explain a policy in exactly the words the code does. A field's comment is the /** */
// right above its property in the z.strictObject({...}) literal; a property whose value is
// another schema constant (policy: policySchema.default(...)) is followed into that constant.

/** The /** *\/ comment right above a node, as plain text (paragraphs kept, lines joined). */
export function docAbove(node: Node): string | undefined {
  const ranges = node.getLeadingCommentRanges();
  const last = ranges.at(-1)?.getText();
  if (!last?.startsWith('/**')) return undefined;
  const body = last
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trim());
  return body
    .join('\n')
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s*\n\s*/g, ' '))
    .join('\n\n');
}

/** The object literal of the first z.strictObject({...}) / z.object({...}) call in a node. */
function schemaLiteral(node: Node): ObjectLiteralExpression | undefined {
  const calls = [node, ...node.getDescendantsOfKind(SyntaxKind.CallExpression)].filter((n) =>
    n.isKind(SyntaxKind.CallExpression),
  );
  for (const call of calls) {
    const callee = call.asKindOrThrow(SyntaxKind.CallExpression).getExpression().getText();
    if (!/^z\s*\.\s*(strictObject|object)$/.test(callee)) continue;
    const literal = call.asKindOrThrow(SyntaxKind.CallExpression).getArguments()[0];
    if (literal?.isKind(SyntaxKind.ObjectLiteralExpression)) return literal;
  }
  return undefined;
}

export interface SchemaDocs {
  /** The TSDoc of a config field by its dotted path, or undefined when it has none. */
  field(path: string): string | undefined;
  /** The TSDoc of an exported constant of another file (LockLocalSettings has no field). */
  constant(file: string, name: string): string | undefined;
}

export function readSchemaDocs(schemaFile = 'src/config/schema.ts', tsconfig = 'tsconfig.json'): SchemaDocs {
  const project = new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true });
  const source = project.addSourceFileAtPath(schemaFile);
  const literalOf = (name: string) => {
    const declaration = source.getVariableDeclaration(name);
    const initializer = declaration?.getInitializer();
    return initializer ? schemaLiteral(initializer) : undefined;
  };
  return {
    field(path) {
      let literal = literalOf('configSchema');
      const keys = path.split('.');
      for (const [i, key] of keys.entries()) {
        const property = literal?.getProperty(key);
        if (!property?.isKind(SyntaxKind.PropertyAssignment)) return undefined;
        if (i === keys.length - 1) return docAbove(property);
        const value = property.getInitializerOrThrow();
        // policySchema.default(...): the identifier the call chain starts from.
        const root = [value, ...value.getDescendantsOfKind(SyntaxKind.Identifier)].find((n) =>
          n.isKind(SyntaxKind.Identifier),
        );
        literal = schemaLiteral(value) ?? (root ? literalOf(root.getText()) : undefined);
      }
      return undefined;
    },
    constant(file, name) {
      const statement = project.addSourceFileAtPath(file).getVariableStatement(name);
      return statement ? docAbove(statement) : undefined;
    },
  };
}
