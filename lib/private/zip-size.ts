import * as fs from "fs";

/**
 * The unzipped size of a .zip file, summed from its central directory (APPNOTE.TXT 4.3.12, 4.3.16),
 * for Lambda's 250 MB limit on a function's unzipped code and layers. ZIP64 archives are
 * reported as undefined: their sizes live in extra fields, and a layer that needs ZIP64 is far
 * over the limit anyway.
 */
export function unzippedBytes(file: string): number | undefined {
  const data = fs.readFileSync(file);
  // The end of central directory record is in the last 22 + 65,535 (comment) bytes.
  let end = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  const entries = data.readUInt16LE(end + 10);
  let offset = data.readUInt32LE(end + 16);
  if (entries === 0xffff || offset === 0xffffffff) return undefined;
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (offset + 46 > data.length || data.readUInt32LE(offset) !== 0x02014b50) return undefined;
    const size = data.readUInt32LE(offset + 24);
    if (size === 0xffffffff) return undefined;
    total += size;
    offset += 46 + data.readUInt16LE(offset + 28) + data.readUInt16LE(offset + 30) + data.readUInt16LE(offset + 32);
  }
  return total;
}
