import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

// The README's option table is checked against the options types, so it cannot
// drift: every option (nested ones as `retry.attempts`) is a row, with exactly
// the default its JSDoc states and its JSDoc's text (without the default
// sentence) as the description, and no row names an option that does not exist.

const root = process.cwd();
const SOURCES = ['src/client/apns-client-options.ts', 'src/interfaces/apns-module-options.interface.ts'];
/** The interfaces whose fields a user sets: the module's options and the module-definition extras. */
const ENTRY_POINTS = ['ApnsModuleOptions', 'ApnsModuleExtras'];

interface OptionDoc {
  name: string;
  /** The JSDoc's default statement: the text after "Default" / "Default:", or `required`. */
  default: string;
  /** The JSDoc's text before its default statement (or before "Required."). */
  description: string;
}

function loadInterfaces(): Map<string, ts.InterfaceDeclaration> {
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  for (const file of SOURCES) {
    const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.ES2022, true);
    source.forEachChild((node) => {
      if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
    });
  }
  return interfaces;
}

function jsDocText(node: ts.Node): string {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs
    .map((d) => (typeof d.comment === 'string' ? d.comment : ts.getTextOfJSDocComment(d.comment) ?? ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The default a JSDoc states and the text before it; throws for an option whose
 * JSDoc states none (the house rule says every option has one).
 */
function splitDoc(name: string, doc: string): { default: string; description: string } {
  const required = /(^|(?<=\.) )Required\.?$/.exec(doc);
  if (required) return { default: 'required', description: doc.slice(0, required.index).trim() };
  const at = doc.lastIndexOf('Default');
  if (at < 0) throw new Error(`Option ${name} has no default in its JSDoc: "${doc}"`);
  return {
    default: doc
      .slice(at)
      .replace(/^Defaults?:?\s*/, '')
      .replace(/\.$/, '')
      .trim(),
    description: doc.slice(0, at).trim(),
  };
}

/** Names of the option interfaces a property's type refers to (`retry?: ApnsRetryOptions`, `feedback?: X | false`). */
function nestedInterfaces(type: ts.TypeNode | undefined, interfaces: Map<string, ts.InterfaceDeclaration>): string[] {
  if (type === undefined) return [];
  if (ts.isUnionTypeNode(type)) return type.types.flatMap((t) => nestedInterfaces(t, interfaces));
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && interfaces.has(type.typeName.text)) return [type.typeName.text];
  return [];
}

function collect(name: string, interfaces: Map<string, ts.InterfaceDeclaration>, prefix = ''): OptionDoc[] {
  const decl = interfaces.get(name);
  if (decl === undefined) throw new Error(`interface ${name} not found in ${SOURCES.join(', ')}`);
  const inherited = (decl.heritageClauses ?? []).flatMap((h) =>
    h.types.map((t) => t.expression.getText()).filter((n) => interfaces.has(n)).flatMap((n) => collect(n, interfaces, prefix)),
  );
  const own = decl.members.filter(ts.isPropertySignature).flatMap((member) => {
    const key = `${prefix}${member.name.getText()}`;
    const doc = jsDocText(member);
    const nested = nestedInterfaces(member.type, interfaces);
    const children = nested.flatMap((n) => collect(n, interfaces, `${key}.`));
    // A group whose JSDoc only points at its fields' defaults is documented by those fields' rows.
    const groupOnly = nested.length > 0 && /^Defaults?:? see /.test(doc.slice(doc.lastIndexOf('Default')));
    return groupOnly ? children : [{ name: key, ...splitDoc(key, doc) }, ...children];
  });
  return [...inherited, ...own];
}

/** Rows of the README table between the options markers: option name, default and description, escapes removed. */
function readmeRows(): Array<{ name: string; default: string; description: string }> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- options:start -->');
  const end = readme.indexOf('<!-- options:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no <!-- options:start --> ... <!-- options:end --> section');
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => /^\|\s*`/.test(line))
    .map((line) => {
      const cells = line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|'));
      return { name: cells[0]!.replace(/^`|`$/g, ''), default: cells[1]!, description: cells[2] ?? '' };
    });
}

describe('README option table', () => {
  const options = ENTRY_POINTS.flatMap((name) => collect(name, loadInterfaces()));

  it('finds the options in the types (sanity check of the extraction)', () => {
    const names = options.map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['transport', 'token.keyId', 'retry.attempts', 'binary.format', 'feedback.cron', 'isGlobal']));
    expect(options.find((o) => o.name === 'transport')?.default).toBe("`'http2'`");
    expect(options.find((o) => o.name === 'token.key')).toMatchObject({
      default: 'required',
      description: 'The .p8 signing key from the developer account (ES256, P-256): contents or file path.',
    });
    // A JSDoc of several lines comes out as one text, its default sentence left out.
    expect(options.find((o) => o.name === 'maxConnections')?.description).toMatch(/^Most connections \(binary\) or HTTP\/2 sessions taking work, opened lazily; .* gains nothing from another\.$/);
    for (const o of options) expect({ name: o.name, description: o.description }).toEqual({ name: o.name, description: expect.stringMatching(/\S/) });
    expect(new Set(names).size).toBe(names.length);
  });

  it('lists every option, with the default its JSDoc states, and nothing else', () => {
    const expected = options.map((o) => `| \`${o.name}\` | ${o.default.replace(/\|/g, '\\|')} |`);
    const actual = readmeRows().map((r) => `| \`${r.name}\` | ${r.default.replace(/\|/g, '\\|')} |`);
    // On failure the diff shows the rows (option and default columns) to paste into README.md.
    expect(actual).toEqual(expected);
  });

  it("describes every option with its JSDoc's text, the default sentence left out", () => {
    const expected = options.map((o) => `| \`${o.name}\` | ${o.description.replace(/\|/g, '\\|')} |`);
    const actual = readmeRows().map((r) => `| \`${r.name}\` | ${r.description.replace(/\|/g, '\\|')} |`);
    // On failure the diff shows the rows (option and description columns) whose README text differs from the JSDoc.
    expect(actual).toEqual(expected);
  });
});
