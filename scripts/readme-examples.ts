// The README's TypeScript blocks are the files of examples/, each after a `<!-- examples/<file> -->`
// line: `npm run generate:readme` writes them in again after an example changed, and a unit test
// (__tests__/readme.test.ts) fails when the README and the files differ.
import * as fs from "fs";
import * as path from "path";

export const README = path.join(__dirname, "..", "README.md");
const EXAMPLE_BLOCK = /<!-- (examples\/[\w.-]+\.ts) -->\n```ts\n[\s\S]*?```\n/g;

/** The README with each marked block replaced by its file. */
export function renderReadme(readme: string): string {
  return readme.replace(EXAMPLE_BLOCK, (_block, file: string) => {
    const source = fs.readFileSync(path.join(__dirname, "..", file), "utf8");
    return `<!-- ${file} -->\n\`\`\`ts\n${source}\`\`\`\n`;
  });
}

/** The example files the README includes, in order. */
export function includedExamples(readme: string): string[] {
  return [...readme.matchAll(EXAMPLE_BLOCK)].map((m) => m[1]);
}

if (require.main === module) {
  fs.writeFileSync(README, renderReadme(fs.readFileSync(README, "utf8")));
}
