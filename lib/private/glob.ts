// The library's one use of a package that is not a peer: minimatch (10.0.3, with @isaacs/brace-expansion
// and @isaacs/balanced-match), for the `exclude` globs of a code directory. It is a devDependency: `npm run
// build` bundles this module with it into dist/private/glob.js (scripts/bundle-vendored.js, licences kept in
// the file), so the installed package needs nothing beyond its peers. Node's own `path.matchesGlob` would
// do, but it is experimental in Node.js 20 (added in 20.17, prints an ExperimentalWarning) and has no
// `dot` or `matchBase` option.
import { minimatch } from "minimatch";

/**
 * Whether a path relative to a directory (with "/") matches a glob, as a code directory's `exclude`
 * documents: dotfiles match `*` like any other name, a trailing "/" is ignored, and a pattern without
 * "/" matches the name at any depth (`*.pyc` matches `a/b/c.pyc`).
 */
export function matchesGlob(relativePath: string, pattern: string): boolean {
  const glob = pattern.replace(/\/+$/, "");
  return minimatch(relativePath, glob, { dot: true, matchBase: !glob.includes("/") });
}
