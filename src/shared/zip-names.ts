// The entry names of a zip file, read from its central directory alone (no entry is decompressed):
// the end record's fixed 22 bytes plus a comment of at most 65,535, then the directory itself.
// For the few places that only need to know what a zip holds (a wheel's files, when a traceback
// names one of them), so they need no zip library.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const END_SIGNATURE = 0x06054b50;
const ENTRY_SIGNATURE = 0x02014b50;
const END_BYTES = 22;
const MAX_COMMENT = 0xffff;

/** Every entry name in the zip at `path`, in directory order; undefined when it isn't a readable zip (or is ZIP64). */
export function zipEntryNames(path: string): string[] | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const tailBytes = Math.min(size, END_BYTES + MAX_COMMENT);
    const tail = read(fd, size - tailBytes, tailBytes);
    let end = -1;
    for (let at = tail.length - END_BYTES; at >= 0; at--) {
      if (tail.readUInt32LE(at) === END_SIGNATURE) {
        end = at;
        break;
      }
    }
    if (end < 0) return undefined;
    const count = tail.readUInt16LE(end + 10);
    const directoryBytes = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    // ZIP64 marks these as 0xFFFF/0xFFFFFFFF; no wheel a traceback names is that big.
    if (count === 0xffff || directoryOffset === 0xffffffff || directoryOffset + directoryBytes > size) return undefined;
    const directory = read(fd, directoryOffset, directoryBytes);
    const names: string[] = [];
    for (let at = 0, i = 0; i < count; i++) {
      if (at + 46 > directory.length || directory.readUInt32LE(at) !== ENTRY_SIGNATURE) return undefined;
      const nameBytes = directory.readUInt16LE(at + 28);
      const extraBytes = directory.readUInt16LE(at + 30);
      const commentBytes = directory.readUInt16LE(at + 32);
      names.push(directory.toString("utf8", at + 46, at + 46 + nameBytes));
      at += 46 + nameBytes + extraBytes + commentBytes;
    }
    return names;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function read(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}
