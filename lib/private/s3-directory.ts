import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AssetType, Fn, TerraformAsset, TerraformIterator } from "cdktf";
import { Construct } from "constructs";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { nameElement } from "./naming";

/** Caches and bytecode that must not travel with code. */
const SKIPPED_DIRS = new Set(["__pycache__", ".pytest_cache", ".ruff_cache", "tests"]);

/** Files of a directory that ship, as posix paths relative to it, sorted. */
export function shippedFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const relPath = rel ? path.posix.join(rel, entry.name) : entry.name;
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(relPath);
      else if (entry.isFile() && !entry.name.endsWith(".pyc")) found.push(relPath);
    }
  };
  walk("");
  return found.sort();
}

/** A hash of the files that ship (names and contents), blind to caches such as `__pycache__`. */
export function hashDirectory(dir: string): string {
  const hash = crypto.createHash("sha256");
  for (const rel of shippedFiles(dir))
    hash
      .update(rel)
      .update("\0")
      .update(fs.readFileSync(path.join(dir, rel)))
      .update("\0");
  return hash.digest("hex").slice(0, 16);
}

/**
 * A copy of the files that ship, and only those (no `__pycache__`), keyed by their hash, so that
 * the stack's assets hold exactly what is uploaded.
 */
function stage(dir: string, hash: string): string {
  const staged = path.join(os.tmpdir(), "cdktf-neuronx-patterns-assets", hash);
  if (!fs.existsSync(staged)) {
    const partial = `${staged}.${process.pid}`;
    for (const rel of shippedFiles(dir)) {
      fs.mkdirSync(path.dirname(path.join(partial, rel)), { recursive: true });
      fs.copyFileSync(path.join(dir, rel), path.join(partial, rel));
    }
    fs.renameSync(partial, staged);
  }
  return staged;
}

/** Props of {@link uploadDirectory}. */
export interface UploadDirectoryProps {
  /** The local directory. */
  readonly dir: string;
  /** The bucket. */
  readonly bucket: string;
  /** Key prefix, ending in `/`. */
  readonly keyPrefix: string;
  /** Which files, a Terraform fileset pattern. */
  readonly pattern: string;
  /** Content type of every object. */
  readonly contentType?: string;
  /** Tags of the objects. */
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
  const hash = hashDirectory(props.dir);
  const asset = new TerraformAsset(scope, `${id}Asset`, { path: stage(props.dir, hash), type: AssetType.DIRECTORY, assetHash: hash });
  const files = TerraformIterator.fromList(Fn.fileset(asset.path, props.pattern));
  return nameElement(
    new S3Object(scope, id, {
      forEach: files,
      bucket: props.bucket,
      key: `${props.keyPrefix}${files.value}`,
      source: `${asset.path}/${files.value}`,
      sourceHash: Fn.filemd5(`${asset.path}/${files.value}`),
      contentType: props.contentType,
      tags: props.tags,
    }),
    props.owner,
    props.suffix,
  );
}
