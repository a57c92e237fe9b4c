import {
  type Expression,
  type JSDoc,
  Node,
  type ObjectLiteralExpression,
  Project,
  type PropertyAssignment,
  SyntaxKind,
} from 'ts-morph';
import type { OptionSpec, ViewColumn } from '../commands/definition.js';

export interface CommandExample {
  code: string;
  remarks: string;
}

/** Everything the generator needs about one command, read from its source and TSDoc. */
export interface CommandModel {
  file: string;
  name: string;
  cmdlet: string;
  /** Former cmdlet names, kept working as aliases. */
  cmdletAliases: string[];
  outputType: string;
  outputProperty: string;
  changesMachine: boolean;
  reportsUnhealthy: boolean;
  cliOnly: boolean;
  positional?: string;
  whatIf?: { target: string; action: string };
  columns: ViewColumn[];
  synopsis: string;
  description: string;
  examples: CommandExample[];
  cliExamples: string[];
  options: { key: string; spec: OptionSpec; help: string }[];
}

/**
 * Reads every `export const x = defineCommand({...})` in the given files with ts-morph. The
 * object literal's static fields become data; its TSDoc becomes the help text.
 */
export function readCommands(files: string[], tsconfig = 'tsconfig.json'): CommandModel[] {
  const project = new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true });
  const models: CommandModel[] = [];
  for (const sourceFile of project.addSourceFilesAtPaths(files)) {
    for (const statement of sourceFile.getVariableStatements()) {
      for (const declaration of statement.getDeclarations()) {
        const call = declaration.getInitializerIfKind(SyntaxKind.CallExpression);
        if (call?.getExpression().getText() !== 'defineCommand') continue;
        const literal = call.getArguments()[0]?.asKindOrThrow(SyntaxKind.ObjectLiteralExpression);
        if (!literal) throw new Error(`${sourceFile.getFilePath()}: defineCommand needs an object literal`);
        models.push(toModel(sourceFile.getBaseName(), literal, statement.getJsDocs()));
      }
    }
  }
  return models;
}

function toModel(file: string, literal: ObjectLiteralExpression, docs: JSDoc[]): CommandModel {
  const data = evaluate(literal) as Record<string, unknown>;
  const where = `${file}: command ${String(data.name)}`;
  const doc = docs.at(-1);
  if (!doc) throw new Error(`${where} has no TSDoc; the synopsis and help come from it`);
  const [synopsis = '', ...rest] = doc
    .getDescription()
    .trim()
    .split(/\n\s*\n/);
  const examples: CommandExample[] = [];
  const cliExamples: string[] = [];
  for (const tag of doc.getTags()) {
    const text = (tag.getCommentText() ?? '').trim();
    if (tag.getTagName() === 'example') {
      const [code = '', ...remarks] = text.split('\n');
      examples.push({ code: code.trim(), remarks: remarks.join(' ').trim() });
    } else if (tag.getTagName() === 'cli')
      cliExamples.push(
        ...text
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      );
  }
  if (examples.length === 0) throw new Error(`${where} has no @example in its TSDoc`);
  if (data.changesMachine === true && !data.whatIf)
    throw new Error(`${where} changes the machine but has no whatIf`);
  const optionsNode = literal
    .getPropertyOrThrow('options')
    .asKindOrThrow(SyntaxKind.PropertyAssignment)
    .getInitializerOrThrow();
  const options = optionAssignments(optionsNode).map((assignment) => {
    const help = docComment(assignment);
    if (!help)
      throw new Error(`${where}: option ${assignment.getName()} has no TSDoc; it becomes the parameter help`);
    return {
      key: assignment.getName(),
      spec: evaluate(assignment.getInitializerOrThrow()) as OptionSpec,
      help,
    };
  });
  return {
    file,
    name: String(data.name),
    cmdlet: String(data.cmdlet),
    cmdletAliases: (data.cmdletAliases as string[] | undefined) ?? [],
    outputType: String(data.outputType),
    outputProperty: String(data.outputProperty),
    changesMachine: data.changesMachine === true,
    reportsUnhealthy: data.reportsUnhealthy === true,
    cliOnly: data.cliOnly === true,
    ...(typeof data.positional === 'string' ? { positional: data.positional } : {}),
    ...(data.whatIf ? { whatIf: data.whatIf as { target: string; action: string } } : {}),
    columns: data.columns as ViewColumn[],
    synopsis: oneLine(synopsis),
    description: rest.map(oneLine).join('\n\n'),
    examples,
    cliExamples,
    options,
  };
}

/**
 * The option property assignments, wherever they are written: inline, in a named constant
 * (`options: taskOptions`), or spread into the literal (`{ ...taskOptions, dryRun: {...} }`).
 */
function optionAssignments(node: Node): PropertyAssignment[] {
  const target = resolveConstant(node);
  if (!Node.isObjectLiteralExpression(target))
    throw new Error(`options must be an object literal (${node.getText()})`);
  return target.getProperties().flatMap((property) => {
    if (Node.isPropertyAssignment(property)) return [property];
    if (Node.isSpreadAssignment(property)) return optionAssignments(property.getExpression());
    throw new Error(`cannot read option ${property.getText()}`);
  });
}

/** Follows an identifier to its constant's initializer and unwraps `as const`. */
function resolveConstant(node: Node): Node {
  if (Node.isAsExpression(node) || Node.isParenthesizedExpression(node))
    return resolveConstant(node.getExpression());
  if (Node.isIdentifier(node)) {
    const declaration =
      node.getSymbol()?.getAliasedSymbol()?.getDeclarations()[0] ?? node.getDefinitionNodes()[0];
    if (declaration && Node.isVariableDeclaration(declaration))
      return resolveConstant(declaration.getInitializerOrThrow());
  }
  return node;
}

/** The text of the /** ... *\/ comment in front of a node (ts-morph has no getJsDocs here). */
function docComment(node: Node): string {
  return node
    .getLeadingCommentRanges()
    .map((range) => range.getText())
    .filter((text) => text.startsWith('/**'))
    .map((text) => text.replace(/^\/\*\*|\*\/$/g, '').replace(/^\s*\* ?/gm, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Evaluates a literal expression: strings, numbers, booleans, arrays, objects, and constants. */
function evaluate(node: Expression | Node): unknown {
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralValue();
  if (Node.isNumericLiteral(node)) return node.getLiteralValue();
  if (Node.isTrueLiteral(node)) return true;
  if (Node.isFalseLiteral(node)) return false;
  if (Node.isAsExpression(node) || Node.isParenthesizedExpression(node))
    return evaluate(node.getExpression());
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.MinusToken) {
    return -(evaluate(node.getOperand()) as number);
  }
  if (Node.isArrayLiteralExpression(node)) return node.getElements().map(evaluate);
  if (Node.isObjectLiteralExpression(node)) {
    const out: Record<string, unknown> = {};
    for (const property of node.getProperties()) {
      if (Node.isPropertyAssignment(property))
        out[property.getName()] = evaluate(property.getInitializerOrThrow());
      // methods (run) and spreads are behaviour, not data: the generator does not need them
    }
    return out;
  }
  if (Node.isIdentifier(node)) {
    // A named constant such as MIN_DEADLINE_MS: follow it to its initializer.
    const declaration =
      node.getSymbol()?.getAliasedSymbol()?.getDeclarations()[0] ?? node.getDefinitionNodes()[0];
    if (declaration && Node.isVariableDeclaration(declaration))
      return evaluate(declaration.getInitializerOrThrow());
  }
  throw new Error(
    `cannot read ${node.getText()} (${node.getKindName()}) as a literal at ${node.getSourceFile().getBaseName()}:${node.getStartLineNumber()}`,
  );
}
