import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { App, AssetType, Fn, TerraformAsset, TerraformIterator } from "cdktf";
import { Construct } from "constructs";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { matchesGlob } from "./glob";
import { nameElement } from "./naming";

/**
 * What never ships, whatever the directory: dotfiles and dot-directories (`.env`, `.git/`, `.venv/`,
 * `.aws/`), Python caches and bytecode, and tests. Patterns are globs matched against each file's and
 * directory's path relative to the directory (a pattern without "/" matches the name at any depth).
 */
export const ALWAYS_EXCLUDED = [".*", "__pycache__", "*.pyc", "*.pyo", "tests"] as const;

/**
 * {@link ALWAYS_EXCLUDED} as RE2 regular expressions over a file's relative path, for the HCL module,
 * which has no glob matching (a test keeps the two in agreement).
 */
export const ALWAYS_EXCLUDED_REGEXES = ["(^|/)\\.", "(^|/)__pycache__(/|$)", "\\.py[co]$", "(^|/)tests(/|$)"] as const;

/** Options of {@link listShippedFiles}. */
export interface ShipOptions {
  /** More globs to leave out, as {@link ALWAYS_EXCLUDED}. */
  readonly exclude?: readonly string[];
}

/** The files of a directory that ship, and what is wrong with the directory (each a sentence fragment naming a path). */
export interface ShippedFiles {
  /** Posix paths relative to the directory, sorted. */
  readonly files: string[];
  /** Why the directory cannot ship as it is: symbolic links that leave it, special files, names S3 and Terraform refuse. */
  readonly problems: string[];
}

const excluded = (rel: string, patterns: readonly string[]) => patterns.some((p) => matchesGlob(rel, p));

/**
 * The files of a directory that ship. Symbolic links are followed when they stay inside the directory
 * (the link's target is what ships) and refused when they leave it; anything but regular files and
 * directories (FIFOs, sockets, devices) is refused, as are names with control characters.
 */
export function listShippedFiles(dir: string, options: ShipOptions = {}): ShippedFiles {
  const patterns = [...ALWAYS_EXCLUDED, ...(options.exclude ?? [])];
  const root = fs.realpathSync(dir);
  const files: string[] = [];
  const problems: string[] = [];
  const walk = (rel: string, real: string, seen: Set<string>): void => {
    for (const name of fs.readdirSync(real).sort()) {
      const relPath = rel ? path.posix.join(rel, name) : name;
      if (excluded(relPath, patterns)) continue;
      if (/[\p{Cc}\uFFFD]/u.test(name)) {
        problems.push(`${JSON.stringify(relPath)} has a control character or invalid UTF-8 in its name; rename it or exclude it`);
        continue;
      }
      const entry = path.join(real, name);
      let target = entry;
      if (fs.lstatSync(entry).isSymbolicLink()) {
        try {
          target = fs.realpathSync(entry);
        } catch {
          problems.push(`${relPath} is a symbolic link to nothing (${fs.readlinkSync(entry)}); remove it or exclude it`);
          continue;
        }
        if (target !== root && !target.startsWith(root + path.sep)) {
          problems.push(
            `${relPath} is a symbolic link to ${target}, outside the directory; copy what it needs into the directory, or exclude it`,
          );
          continue;
        }
      }
      const stat = fs.statSync(target);
      if (stat.isDirectory()) {
        if (seen.has(target)) {
          problems.push(`${relPath} is a symbolic link back to a directory it is in (a loop); remove it or exclude it`);
          continue;
        }
        walk(relPath, target, new Set([...seen, target]));
      } else if (stat.isFile()) {
        files.push(relPath);
      } else {
        problems.push(`${relPath} is not a regular file or a directory (a FIFO, socket or device); remove it or exclude it`);
      }
    }
  };
  walk("", root, new Set([root]));
  return { files: files.sort(), problems };
}

/** The files that ship of one of this library's own directories; a problem there is a bug, thrown. */
export function shippedFiles(dir: string): string[] {
  const { files, problems } = listShippedFiles(dir);
  if (problems.length > 0) throw new Error(`${dir}: ${problems.join("; ")}`);
  return files;
}

/** A hash of files (names and contents), read through `root`. */
function hashFiles(root: string, files: readonly string[]): string {
  const hash = crypto.createHash("sha256");
  for (const rel of files)
    hash
      .update(rel)
      .update("\0")
      .update(fs.readFileSync(path.join(root, rel)))
      .update("\0");
  return hash.digest("hex").slice(0, 16);
}

/** A hash of the files that ship (names and contents), blind to what does not ship, such as `__pycache__`. */
export function hashDirectory(dir: string, options: ShipOptions = {}): string {
  return hashFiles(dir, listShippedFiles(dir, options).files);
}

/** Every file below a directory (none of the exclusions), or undefined when it holds anything but files and directories. */
function everyFile(dir: string): string[] | undefined {
  const found: string[] = [];
  const walk = (rel: string): boolean =>
    fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).every((entry) => {
      const relPath = rel ? path.posix.join(rel, entry.name) : entry.name;
      if (entry.isDirectory()) return walk(relPath);
      if (!entry.isFile()) return false;
      found.push(relPath);
      return true;
    });
  return walk("") ? found.sort() : undefined;
}

/** Whether a staged copy holds exactly `files`, with the content `hash` names. */
function holds(staged: string, files: readonly string[], hash: string): boolean {
  const stat = fs.lstatSync(staged, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return false;
  const found = everyFile(staged);
  return found !== undefined && found.join("\0") === [...files].sort().join("\0") && hashFiles(staged, files) === hash;
}

/**
 * Where copies are staged: `.neuronx-staging/` of the app's output directory (the user's own, never a
 * shared temporary directory that anyone on the machine can write to). Absolute: cdktf resolves a
 * relative asset path against the directory of cdktf.json, and an app run with plain `node` outside a
 * cdktf project (as the package test runs one) has none; the app's outdir is relative to the working
 * directory, as cdktf writes it.
 */
function stagingRoot(scope: Construct): string {
  const root = path.resolve(App.of(scope).outdir, ".neuronx-staging");
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  return root;
}

/**
 * A copy of the files that ship, and only those, so that the stack's assets hold exactly what is
 * uploaded, named by their hash. A copy found there is reused only when it holds exactly those files
 * with that content; otherwise it is replaced by a fresh one, made beside it and checked before it is
 * moved into place (an empty directory stages as an empty copy).
 */
function stage(scope: Construct, dir: string, files: readonly string[], hash: string): string {
  const root = stagingRoot(scope);
  const target = path.join(root, hash);
  if (holds(target, files, hash)) return target;
  const partial = fs.mkdtempSync(path.join(root, `${hash}.`));
  for (const rel of files) {
    fs.mkdirSync(path.dirname(path.join(partial, rel)), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(dir, rel), path.join(partial, rel));
  }
  if (!holds(partial, files, hash)) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new Error(`${dir} changed while it was being staged; synthesize again`);
  }
  moveIntoPlace(partial, target, files, hash);
  return target;
}

/** Moves a checked copy to `target`, replacing what was there, unless another synth moved the same files there first. */
function moveIntoPlace(partial: string, target: string, files: readonly string[], hash: string): void {
  fs.rmSync(target, { recursive: true, force: true });
  try {
    fs.renameSync(partial, target);
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    if (!holds(target, files, hash)) throw error;
  }
}

/**
 * Files made at synth time (rendered configs, a package assembled from several directories), staged
 * like copies: written to a fresh directory under the app's staging root, named by their hash, and a
 * copy already there reused only when it holds exactly these files with this content.
 */
export function stageGenerated(scope: Construct, contents: ReadonlyMap<string, string | Buffer>): { dir: string; hash: string } {
  const root = stagingRoot(scope);
  const partial = fs.mkdtempSync(path.join(root, "generated."));
  for (const [rel, content] of contents) {
    fs.mkdirSync(path.dirname(path.join(partial, rel)), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(partial, rel), content);
  }
  const files = [...contents.keys()].sort();
  const hash = hashFiles(partial, files);
  const target = path.join(root, hash);
  if (holds(target, files, hash)) fs.rmSync(partial, { recursive: true, force: true });
  else moveIntoPlace(partial, target, files, hash);
  return { dir: target, hash };
}

/** Props of {@link uploadDirectory}. */
export interface UploadDirectoryProps {
  /** The local directory. */
  readonly dir: string;
  /** More globs to leave out, besides {@link ALWAYS_EXCLUDED}. */
  readonly exclude?: readonly string[];
  /** The bucket. */
  readonly bucket: string;
  /** Key prefix, ending in `/`. */
  readonly keyPrefix: string;
  /** Which files, a Terraform fileset pattern. */
  readonly pattern: string;
  /** Content type of every object. */
  readonly contentType?: string;
  /** Tags of the objects (S3 takes at most 10 an object). */
  readonly tags?: Record<string, string>;
  /** The construct whose id names the resource, and the name's suffix. */
  readonly owner: Construct;
  readonly suffix: string;
}

/**
 * Ships a directory to S3 as one `aws_s3_object` with `for_each` over a fileset of its
 * copy in the stack's assets: one readable resource, one object a file, and a diff that
 * names the file that changed. The asset path is keyed by the files' content.
 */
export function uploadDirectory(scope: Construct, id: string, props: UploadDirectoryProps): S3Object {
  const { files, problems } = listShippedFiles(props.dir, { exclude: props.exclude });
  if (problems.length > 0) throw new Error(`${props.dir}: ${problems.join("; ")}`);
  const hash = hashFiles(props.dir, files);
  const asset = new TerraformAsset(scope, `${id}Asset`, {
    path: stage(scope, props.dir, files, hash),
    type: AssetType.DIRECTORY,
    assetHash: hash,
  });
  const fileset = TerraformIterator.fromList(Fn.fileset(asset.path, props.pattern));
  return nameElement(
    new S3Object(scope, id, {
      forEach: fileset,
      bucket: props.bucket,
      key: `${props.keyPrefix}${fileset.value}`,
      source: `${asset.path}/${fileset.value}`,
      sourceHash: Fn.filemd5(`${asset.path}/${fileset.value}`),
      contentType: props.contentType,
      tags: props.tags,
    }),
    props.owner,
    props.suffix,
  );
}

/**
 * Python packages as the files of a .zip: path in the archive (`<name>/<file>`) -> content, each
 * package's shipped files (no dotfiles, caches or tests) without its requirements.txt.
 */
export function packageFiles(packages: readonly { readonly dir: string; readonly name: string }[]): Map<string, Buffer> {
  const contents = new Map<string, Buffer>();
  for (const p of packages) {
    for (const rel of shippedFiles(p.dir).filter((f) => f !== "requirements.txt")) {
      contents.set(path.posix.join(p.name, rel), fs.readFileSync(path.join(p.dir, rel)));
    }
  }
  return contents;
}
