/**
 * A minimal tar writer (POSIX ustar): regular files only, names up to 100 bytes (or 255 split at a
 * `/` into prefix and name), sizes up to 8 GiB. Enough for export archives, whose entries are JSON
 * files and a README named by Plinth; `tar`, `bsdtar`, 7-Zip and Python's tarfile read the output.
 */

const BLOCK = 512;

/** The end of an archive: two zero blocks. */
export const TAR_END = new Uint8Array(BLOCK * 2);

/** A tar entry's mode, owner and time (no permissions beyond reading by anyone). */
export interface TarEntryOptions {
  /** Modification time. */
  readonly mtime: Date;
  /** @default 0o644 */
  readonly mode?: number;
}

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new RangeError(`"${value}" does not fit in ${length} bytes`);
  block.set(bytes, offset);
}

/** An octal field: digits, zero-padded, then a NUL (as GNU tar writes them). */
function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new RangeError(`${value} does not fit in a ${length}-byte tar field`);
  writeString(block, offset, length, `${digits.padStart(length - 1, '0')}\0`);
}

/** Splits a path into ustar's prefix (≤155 bytes) and name (≤100 bytes), at a `/`. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new RangeError(`The tar path ${path} is too long for ustar`);
}

/** The 512-byte ustar header of a regular file of `size` bytes at `path`. */
export function tarHeader(path: string, size: number, options: TarEntryOptions): Uint8Array {
  if (path.length === 0 || path.startsWith('/') || path.split('/').includes('..')) {
    throw new RangeError(`Refusing the tar path ${JSON.stringify(path)}`);
  }
  const { prefix, name } = splitPath(path);
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, options.mode ?? 0o644);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, Math.floor(options.mtime.getTime() / 1000));
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  block[156] = '0'.charCodeAt(0); // regular file
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  writeString(block, 265, 32, 'plinth');
  writeString(block, 297, 32, 'plinth');
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** One file as tar bytes: header, content, zero padding to the next 512-byte block. */
export function tarEntry(path: string, content: Uint8Array, options: TarEntryOptions): Uint8Array[] {
  const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
  return [tarHeader(path, content.length, options), content, new Uint8Array(padding)];
}

/** A file read back from a tar archive. */
export interface TarFile {
  readonly path: string;
  readonly content: Buffer;
  readonly mtime: Date;
}

/**
 * Reads the regular files of an (uncompressed) ustar archive, checking each header's checksum.
 * For tests and for whoever checks an export; it is not used on the export path.
 */
export function readTar(archive: Uint8Array): TarFile[] {
  const files: TarFile[] = [];
  const bytes = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  let offset = 0;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const stored = Number.parseInt(field(148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    if (stored !== sum) throw new Error(`Bad tar header checksum at byte ${offset}`);
    const size = Number.parseInt(field(124, 12), 8);
    const prefix = field(345, 155);
    const name = field(0, 100);
    const start = offset + BLOCK;
    files.push({
      path: prefix ? `${prefix}/${name}` : name,
      content: Buffer.from(bytes.subarray(start, start + size)),
      mtime: new Date(Number.parseInt(field(136, 12), 8) * 1000),
    });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
