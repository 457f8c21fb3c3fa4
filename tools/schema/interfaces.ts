// Reads the public TypeScript declarations the package schema is made from: each interface's (and each
// class's public) properties with their JSDoc and whether they are optional. TypeScript's own parser reads
// them, so the schema's names, required lists and descriptions come from the code and cannot drift from it.
import { readFileSync } from "node:fs";
import ts from "typescript";

export interface Member {
  name: string;
  /** `name?:` in an interface, or a type that admits undefined (`Output<string | undefined>`). */
  optional: boolean;
  /** The JSDoc text, one paragraph per blank line, without the `*`s. */
  doc: string;
  /** The declared type as written (`pulumi.Input<string>`, `boolean`, …). */
  typeText: string;
}

/**
 * The members of every interface and class in `files`, by name. An object type written inline is listed under
 * `Outer.property` (VmWithReadySshArgs.osDisk); each object of a union type alias under `Alias#0`, `Alias#1`.
 */
export function readDeclarations(files: string[]): Map<string, Member[]> {
  const found = new Map<string, Member[]>();
  for (const file of files) {
    const source = ts.createSourceFile(
      file,
      readFileSync(file, "utf8"),
      ts.ScriptTarget.ES2023,
      true,
    );
    const visit = (node: ts.Node) => {
      if (ts.isInterfaceDeclaration(node)) found.set(node.name.text, members(node, source, found));
      else if (ts.isClassDeclaration(node) && node.name)
        found.set(node.name.text, members(node, source, found));
      else if (ts.isTypeAliasDeclaration(node) && ts.isUnionTypeNode(node.type)) {
        node.type.types.forEach((type, i) => {
          if (ts.isTypeLiteralNode(type))
            found.set(`${node.name.text}#${i}`, members(type, source, found));
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

function members(
  node: ts.InterfaceDeclaration | ts.ClassDeclaration | ts.TypeLiteralNode,
  source: ts.SourceFile,
  found: Map<string, Member[]>,
): Member[] {
  const owner = ts.isTypeLiteralNode(node) ? undefined : node.name?.text;
  const result: Member[] = [];
  for (const member of node.members) {
    if (!ts.isPropertySignature(member) && !ts.isPropertyDeclaration(member)) continue;
    if (!member.name || !ts.isIdentifier(member.name)) continue;
    const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) continue;
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
    const name = member.name.text;
    const typeText = member.type?.getText(source) ?? "";
    if (owner && member.type && ts.isTypeLiteralNode(member.type))
      found.set(`${owner}.${name}`, members(member.type, source, found));
    result.push({
      name,
      optional: member.questionToken !== undefined || /\bundefined\b/.test(typeText),
      doc: jsDoc(member),
      typeText,
    });
  }
  return result;
}

function jsDoc(node: ts.Node): string {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  const text = docs
    .map((doc) =>
      typeof doc.comment === "string" ? doc.comment : ts.getTextOfJSDocComment(doc.comment),
    )
    .filter((comment): comment is string => Boolean(comment))
    .join("\n\n");
  // Lines of one paragraph are one line: generated SDKs wrap the text again themselves.
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s*\n\s*/g, " ").trim())
    .join("\n\n");
}
