/**
 * Which lines of a cell start in code, and which start inside a string, a
 * template literal, a regular expression or a comment (a `%iops` there is
 * text, not a magic). Read with TypeScript's own scanner, the copy the
 * running tslab compiles with, so that the cell is split into tokens exactly
 * as its compiler will split it.
 */

/** The part of TypeScript's scanner used here (typescript 5.x, or tslab's copy of it). */
export interface TsScanner {
  scan(): number;
  reScanSlashToken(): number;
  reScanTemplateToken(isTaggedTemplate: boolean): number;
  /** typescript ≥ 5.1; older versions have getTokenPos. */
  getTokenStart?(): number;
  getTokenPos?(): number;
  getTextPos(): number;
}

/** The part of a TypeScript syntax tree's node used here. */
export interface TsNode {
  kind: number;
  pos: number;
  end: number;
  getStart(sourceFile?: TsSourceFile): number;
  /** Present on a source file, a block, a case clause: the statements in it. */
  statements?: ArrayLike<TsNode>;
}

export interface TsSourceFile extends TsNode {
  getLineAndCharacterOfPosition(pos: number): { line: number; character: number };
}

/** The part of the `typescript` module used here. */
export interface TypeScriptModule {
  createScanner(languageVersion: number, skipTrivia: boolean, languageVariant?: number, textInitial?: string): TsScanner;
  createSourceFile(fileName: string, text: string, languageVersion: number, setParentNodes?: boolean): TsSourceFile;
  forEachChild<T>(node: TsNode, visit: (child: TsNode) => T | undefined): T | undefined;
  ScriptTarget: { Latest: number };
  LanguageVariant: { Standard: number };
  SyntaxKind: Record<string, number>;
}

/**
 * For each offset in `starts` (into `source`), the 0-based line on which
 * the statement starting there ends: a statement may go on over several
 * lines (a call's arguments, a chained call, a block). Read with
 * TypeScript's parser, once for all; null where no statement starts (the
 * code does not parse as the magic expects).
 */
export function statementEndLines(ts: TypeScriptModule, source: string, starts: number[]): (number | null)[] {
  const file = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.Latest, true);
  const find = (node: TsNode, start: number): TsNode | undefined => {
    if (node.statements) {
      for (let i = 0; i < node.statements.length; i++) {
        const statement = node.statements[i];
        if (statement.getStart(file) === start) return statement;
      }
    }
    // Deeper: a %iops line inside a block or a loop's body.
    return ts.forEachChild(node, (child) => (child.pos <= start && start < child.end ? find(child, start) : undefined));
  };
  return starts.map((start) => {
    const statement = find(file, start);
    return statement ? file.getLineAndCharacterOfPosition(statement.end).line : null;
  });
}

/** Tokens that may span lines: a line starting inside one of them is not code. */
const SPANNING = [
  "StringLiteral", // a backslash before the line break continues it
  "NoSubstitutionTemplateLiteral",
  "TemplateHead",
  "TemplateMiddle",
  "TemplateTail",
  "MultiLineCommentTrivia",
];

/** Tokens after which a `/` divides; after any other it starts a regular expression. */
const ENDS_OPERAND = [
  "Identifier",
  "PrivateIdentifier",
  "ThisKeyword",
  "SuperKeyword",
  "NullKeyword",
  "TrueKeyword",
  "FalseKeyword",
  "NumericLiteral",
  "BigIntLiteral",
  "StringLiteral",
  "NoSubstitutionTemplateLiteral",
  "TemplateTail",
  "RegularExpressionLiteral",
  "CloseParenToken",
  "CloseBracketToken",
  "CloseBraceToken",
  "PlusPlusToken",
  "MinusMinusToken",
];

const TRIVIA = ["WhitespaceTrivia", "NewLineTrivia", "SingleLineCommentTrivia", "MultiLineCommentTrivia", "ShebangTrivia", "ConflictMarkerTrivia"];

/**
 * For each line of `source` (split at "\n"), whether it starts in code:
 * false when its first character is inside a token that began on an
 * earlier line (a template literal, a block comment, a continued string).
 */
export function codeLineStarts(ts: TypeScriptModule, source: string): boolean[] {
  const K = ts.SyntaxKind;
  const kinds = (names: string[]) => new Set(names.map((n) => K[n]).filter((k) => k !== undefined));
  const spanning = kinds(SPANNING);
  const endsOperand = kinds(ENDS_OPERAND);
  const trivia = kinds(TRIVIA);

  const lineStarts: number[] = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const code = lineStarts.map(() => true);

  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, source);
  const tokenStart = () => (scanner.getTokenStart ? scanner.getTokenStart() : scanner.getTokenPos!());
  /** One entry per open brace: true for a template's `${`, whose `}` resumes the template. */
  const braces: boolean[] = [];
  let previous = K.Unknown;
  let line = 1;
  for (let kind = scanner.scan(); kind !== K.EndOfFileToken; kind = scanner.scan()) {
    if ((kind === K.SlashToken || kind === K.SlashEqualsToken) && !endsOperand.has(previous)) {
      kind = scanner.reScanSlashToken();
    } else if (kind === K.OpenBraceToken) {
      braces.push(false);
    } else if (kind === K.TemplateHead) {
      braces.push(true);
    } else if (kind === K.CloseBraceToken && braces.pop()) {
      kind = scanner.reScanTemplateToken(false);
      if (kind === K.TemplateMiddle) braces.push(true);
    }
    if (spanning.has(kind)) {
      const start = tokenStart();
      const end = scanner.getTextPos();
      while (line < lineStarts.length && lineStarts[line] <= start) line++;
      for (; line < lineStarts.length && lineStarts[line] < end; line++) code[line] = false;
    }
    if (!trivia.has(kind)) previous = kind;
  }
  return code;
}
