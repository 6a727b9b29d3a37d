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

/** The part of the `typescript` module used here. */
export interface TypeScriptModule {
  createScanner(languageVersion: number, skipTrivia: boolean, languageVariant?: number, textInitial?: string): TsScanner;
  ScriptTarget: { Latest: number };
  LanguageVariant: { Standard: number };
  SyntaxKind: Record<string, number>;
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
