import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { APNS_REASONS, BinaryStatus, describeBinaryStatus } from '../src/codec/reasons.js';

// The README's "Errors and reasons" tables are checked against the codec's
// reason tables, the ones the transports use: same reasons, statuses,
// retryability and advice, so the docs cannot drift from what errors say.
// The table of the library's own reasons is checked against the reasons the
// library's source can produce, found by reading the source (no list kept by hand).

const root = process.cwd();

/** The library's TypeScript sources: src/ without the mock server (testing/), specs and test fixtures. */
function librarySources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : librarySources(path);
    return entry.name.endsWith('.ts') && !/\.(spec|fixture)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/**
 * Every reason string the library's source can give a failure, with where it
 * is written: the value of a `reason` property in an object literal, an
 * argument passed to a parameter named `reason`, and the string literal types
 * of parameters named `reason`. A value whose type is a string literal (a
 * constant, a union) counts through the type checker; a plain `string`
 * (Apple's reason read from a response, a binary status name) cannot be
 * followed, and is covered by the codec's tables above. A template literal
 * counts with `*` for each substitution.
 */
function reasonsInSource(): Map<string, string> {
  const rootNames = librarySources(join(root, 'src'));
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  })!;
  const program = ts.createProgram({ rootNames, options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const literalTypes = (type: ts.Type): string[] => {
    const parts = type.isUnion() ? type.types : [type];
    return parts.every((t) => t.isStringLiteral()) ? parts.map((t) => (t as ts.StringLiteralType).value) : [];
  };
  const literals = (expr: ts.Expression): string[] => {
    if (ts.isParenthesizedExpression(expr)) return literals(expr.expression);
    if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [expr.text];
    if (ts.isTemplateExpression(expr)) return [expr.head.text + expr.templateSpans.map((span) => `*${span.literal.text}`).join('')];
    if (ts.isConditionalExpression(expr)) return [...literals(expr.whenTrue), ...literals(expr.whenFalse)];
    return literalTypes(checker.getTypeAtLocation(expr));
  };
  const found = new Map<string, string>();
  for (const file of program.getSourceFiles().filter((f) => rootNames.includes(f.fileName))) {
    const visit = (node: ts.Node): void => {
      const add = (reasons: string[]): void => {
        const where = `${file.fileName.slice(root.length + 1)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        for (const reason of reasons) if (!found.has(reason)) found.set(reason, where);
      };
      if (ts.isPropertyAssignment(node) && node.name.getText() === 'reason') add(literals(node.initializer));
      if (ts.isParameter(node) && node.name.getText() === 'reason') add(literalTypes(checker.getTypeAtLocation(node)));
      if (ts.isCallExpression(node)) {
        const parameters = checker.getResolvedSignature(node)?.parameters ?? [];
        parameters.forEach((parameter, i) => {
          const argument = node.arguments[i];
          if (parameter.name === 'reason' && argument !== undefined) add(literals(argument));
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

function table(marker: string): string[][] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`<!-- ${marker}:start -->`);
  const end = readme.indexOf(`<!-- ${marker}:end -->`);
  if (start < 0 || end < start) throw new Error(`README.md has no <!-- ${marker}:start --> ... <!-- ${marker}:end --> section`);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|') && !line.startsWith('|---'))
    .slice(1)
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/\\\|/g, '|')),
    );
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

describe('README errors and reasons', () => {
  it('lists every HTTP/2 reason once, with its status, retryability and advice', () => {
    const rows = table('reasons').map(([reason, status, retryable, , advice]) => ({ reason: reason!.replace(/`/g, ''), status, retryable, advice }));
    const expected = Object.values(APNS_REASONS).map((r) => ({ reason: r.reason, status: String(r.status), retryable: yesNo(r.retryable), advice: r.advice }));
    expect(rows).toEqual(expected);
    for (const row of table('reasons')) expect(row[3]).not.toBe('');
  });

  it('lists every binary status code once, with its name, retryability and advice', () => {
    const rows = table('binary-statuses').map(([code, name, retryable, advice]) => ({ code, name: name!.replace(/`/g, ''), retryable, advice }));
    const expected = Object.values(BinaryStatus).map((code) => {
      const info = describeBinaryStatus(code);
      return { code: String(code), name: info.name, retryable: yesNo(info.retryable), advice: info.advice };
    });
    expect(rows).toEqual(expected);
  });

  describe("the library's own reasons", () => {
    const source = reasonsInSource();
    /** First cells of the own-reasons table, one reason each (`GoAway`, `StreamRefused`, ... share a row); `<code>` reads as `*`. */
    const own = table('own-reasons').flatMap(([cell]) => cell!.split(',').map((r) => r.trim().replace(/`/g, '').replace(/<[^>]*>/g, '*')));

    it('finds the reasons in the source (sanity check of the scan)', () => {
      expect([...source.keys()]).toEqual(
        expect.arrayContaining(['MalformedDeviceToken', 'InvalidNotification', 'Shutdown', 'ConnectionError', 'ConnectionLost', 'GoAway', 'StreamReset(*)']),
      );
      expect(own).toContain('StreamReset(*)');
      for (const row of table('own-reasons')) expect(row.slice(1).every((cell) => cell !== '')).toBe(true);
    });

    it('documents every reason the source can produce, in one of the three tables', () => {
      const documented = new Set([
        ...table('reasons').map(([reason]) => reason!.replace(/`/g, '')),
        ...table('binary-statuses').map(([, name]) => name!.replace(/`/g, '')),
        ...own,
      ]);
      const undocumented = [...source].filter(([reason]) => !documented.has(reason)).map(([reason, where]) => `${reason} (${where})`);
      expect(undocumented).toEqual([]);
    });

    it('lists no reason of its own that the source cannot produce', () => {
      expect(own.filter((reason) => !source.has(reason))).toEqual([]);
      expect(new Set(own).size).toBe(own.length);
    });
  });
});
