/**
 * Reads a --snapshot file. Every way it can fail becomes one FileArgumentError (exit 2) that names
 * the file, the problem (with line and column for bad JSON) and the fix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assessSnapshotStream, type AssessOptions, type StreamedFleetAssessment } from '../shared/assess';
import { parseSnapshot, SnapshotError, type Snapshot } from '../shared/model/snapshot';
import { FileArgumentError } from './errors';

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/** The JSON.parse message with the position turned into line and column (V8 reports only "at position N"). */
export function describeJsonError(text: string, err: Error): string {
  const msg = err.message.replace(/^JSON\.parse: /, '');
  if (/line \d+ column \d+/.test(msg)) return msg;
  const m = /at position (\d+)/.exec(msg);
  if (m) {
    const { line, column } = lineColumn(text, Number(m[1]));
    return `${msg.replace(/\s*at position \d+.*$/, '')} at line ${line} column ${column}`;
  }
  if (/Unexpected end of JSON input/.test(msg)) {
    const { line, column } = lineColumn(text, text.length);
    return `unexpected end of JSON input at line ${line} column ${column}`;
  }
  return msg;
}

export interface ReadSnapshotOptions {
  /** The option name, for messages. */
  option?: string;
  cwd?: string;
}

export function readSnapshotFile(file: string, opts: ReadSnapshotOptions = {}): Snapshot {
  const option = opts.option ?? '--snapshot';
  const full = path.resolve(opts.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileArgumentError(`snapshot file '${file}' (${option}) does not exist`, "Check the path, or write a snapshot with 'aksnet fleet snapshot'");
    if (code === 'EISDIR') throw new FileArgumentError(`'${file}' (${option}) is a directory, not a snapshot file`, 'Give the path of a snapshot JSON file');
    if (code === 'EACCES' || code === 'EPERM') throw new FileArgumentError(`snapshot file '${file}' (${option}) cannot be read: permission denied`, 'Check the file permissions');
    throw new FileArgumentError(`snapshot file '${file}' (${option}) cannot be read: ${(e as Error).message}`, 'Check the path and the file');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM is not part of the JSON
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new FileArgumentError(`snapshot file '${file}' is not valid JSON: ${describeJsonError(text, e as Error)}`, 'Fix the JSON, or write the snapshot again');
  }
  try {
    return parseSnapshot(data);
  } catch (e) {
    if (e instanceof SnapshotError) {
      throw new FileArgumentError(
        `'${file}' is ${e.message}`,
        'A snapshot is {"resources": [ARM resources], "kubernetes": {clusterId: {"items": [...]}}} or an array of ARM resources; see docs/snapshot.md',
      );
    }
    throw e;
  }
}

/**
 * Assesses a snapshot file while reading it (shared/assess.ts assessSnapshotStream): each cluster is
 * assessed as soon as its Kubernetes objects are read, then dropped, so a 10,000-cluster file never exists
 * whole in memory. Returns undefined whenever the file must be read whole instead (missing, unreadable,
 * a directory, not a regular file, invalid JSON, not a snapshot, an unusual ordering): readSnapshotFile then names the problem
 * in its usual one line, or assesses the file as always, so every error stays exactly as it was.
 */
export function assessSnapshotFileStreaming(file: string, options: AssessOptions, opts: ReadSnapshotOptions = {}): StreamedFleetAssessment | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path.resolve(opts.cwd ?? process.cwd(), file), 'r');
  } catch {
    return undefined; // readSnapshotFile names the problem
  }
  try {
    // Only a regular file can be read again from the start when the streaming reader hands it over: a pipe
    // (`--snapshot /dev/stdin`) would leave readSnapshotFile only the bytes not consumed yet.
    if (!fs.fstatSync(fd).isFile()) return undefined;
    return assessSnapshotStream((buf) => fs.readSync(fd, buf), options);
  } catch (e) {
    // A read error (EISDIR for a directory, EIO...) is reported by readSnapshotFile; anything else is ours.
    if (typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).syscall !== undefined) return undefined;
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}
