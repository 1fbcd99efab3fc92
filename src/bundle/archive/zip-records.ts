// The byte layout of zip records (APPNOTE.TXT 4.3), fixed fields only: no extra fields, no ZIP64.
import { BundleError } from "../errors.js";

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;
/** 2.0: deflate and directory entries; what Python's zipfile and zipimport expect. */
const VERSION = 20;
/** Upper byte 3 = Unix, so the external attributes carry st_mode (what `zip` and Python write). */
const VERSION_MADE_BY = (3 << 8) | VERSION;
/** Bit 11: names are UTF-8 (without it, readers decode them as CP437). */
const FLAG_UTF8 = 0x0800;
/** 1980-01-01 00:00:00 in MS-DOS date/time fields: day 1, month 1, year 0 (= 1980). */
export const DOS_TIME = 0;
export const DOS_DATE = (1 << 5) | 1;
/** MS-DOS directory attribute, set beside the Unix mode for tools that only read the low bits. */
const DOS_DIRECTORY = 0x10;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_RECORD_BYTES = 22;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

export interface EntryRecord {
  /** The entry's path (stored as UTF-8). */
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Full st_mode, e.g. 0o100644 or 0o40755. */
  mode: number;
  /** Offset of the local header in the archive. */
  offset: number;
}

export function localHeaderBytes(e: EntryRecord): number {
  return LOCAL_HEADER_BYTES + Buffer.byteLength(e.name, "utf8");
}

export function centralHeaderBytes(e: EntryRecord): number {
  return CENTRAL_HEADER_BYTES + Buffer.byteLength(e.name, "utf8");
}

/** The record, written into `into` (exactly localHeaderBytes(e) long) or a new buffer. */
export function localHeader(e: EntryRecord, into?: Buffer): Buffer {
  const nameBytes = checkLimits(e);
  const b = target(LOCAL_HEADER_BYTES + nameBytes, into);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(VERSION, 4);
  b.writeUInt16LE(FLAG_UTF8, 6);
  b.writeUInt16LE(e.method, 8);
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(e.crc >>> 0, 14);
  b.writeUInt32LE(e.compressedSize, 18);
  b.writeUInt32LE(e.size, 22);
  b.writeUInt16LE(nameBytes, 26);
  b.writeUInt16LE(0, 28);
  b.write(e.name, LOCAL_HEADER_BYTES, "utf8");
  return b;
}

/** The record, written into `into` (exactly centralHeaderBytes(e) long) or a new buffer. */
export function centralHeader(e: EntryRecord, into?: Buffer): Buffer {
  const nameBytes = Buffer.byteLength(e.name, "utf8");
  const b = target(CENTRAL_HEADER_BYTES + nameBytes, into);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(VERSION_MADE_BY, 4);
  b.writeUInt16LE(VERSION, 6);
  b.writeUInt16LE(FLAG_UTF8, 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(e.crc >>> 0, 16);
  b.writeUInt32LE(e.compressedSize, 20);
  b.writeUInt32LE(e.size, 24);
  b.writeUInt16LE(nameBytes, 28);
  // extra length, comment length, disk number start, internal attributes: all 0 (target() zero-fills)
  const isDir = (e.mode & 0o170000) === 0o040000;
  b.writeUInt32LE(((e.mode << 16) | (isDir ? DOS_DIRECTORY : 0)) >>> 0, 38);
  b.writeUInt32LE(e.offset, 42);
  b.write(e.name, CENTRAL_HEADER_BYTES, "utf8");
  return b;
}

/** A zero-filled record buffer: `into` (reused memory) or a new one. */
function target(bytes: number, into: Buffer | undefined): Buffer {
  if (into === undefined) return Buffer.alloc(bytes);
  if (into.length !== bytes) throw new RangeError(`zip record needs ${bytes} bytes, was given ${into.length}`);
  return into.fill(0);
}

export function endOfCentralDirectory(entries: number, directoryBytes: number, directoryOffset: number): Buffer {
  if (entries > MAX_U16 || directoryOffset + directoryBytes > MAX_U32) throw tooLarge(`${entries} entries, ${directoryOffset + directoryBytes} bytes`);
  const b = Buffer.alloc(END_RECORD_BYTES);
  b.writeUInt32LE(0x06054b50, 0);
  // this disk, disk with the directory: 0
  b.writeUInt16LE(entries, 8);
  b.writeUInt16LE(entries, 10);
  b.writeUInt32LE(directoryBytes, 12);
  b.writeUInt32LE(directoryOffset, 16);
  return b;
}

/** The name's length in bytes, once the entry is known to fit the classic format. */
function checkLimits(e: EntryRecord): number {
  const nameBytes = Buffer.byteLength(e.name, "utf8");
  if (e.size > MAX_U32 || e.compressedSize > MAX_U32 || e.offset > MAX_U32 || nameBytes > MAX_U16) {
    throw tooLarge(`entry ${e.name.slice(0, 200)} at offset ${e.offset}`);
  }
  return nameBytes;
}

/** ZIP64 is left out on purpose: zipimport reads it only from Python 3.13 on. */
function tooLarge(what: string): BundleError {
  return new BundleError(
    "BUNDLE_TOO_LARGE",
    `The bundle exceeds the classic zip limits (65,535 entries, 4 GiB) at ${what}; Python's zipimport before 3.13 cannot read larger (ZIP64) archives. Fix: leave data files out with the \`exclude\` option, or ship them as a separate artifact.`,
  );
}
