/**
 * Reads the documents of one file with source lines, so that every issue can point at the line of
 * the field it is about. YAML (multi-document) and JSON go through the same event parser; JSON
 * keeps `JSON.parse` semantics for duplicate keys (the last one wins).
 */
import { constructFromEvents, EVENT_ID, type Event, getScalarValue, parseEvents } from 'js-yaml';
import { childPath } from '../schema/index.ts';

export type ReadDocument = {
  readonly value: unknown;
  /** 1-based line where the document's content starts: unique per document in a file. */
  readonly line: number;
  /** The document's position among the file's documents (as `FileLocator.locate` takes it). */
  readonly slice: number;
  /**
   * The 1-based line of a field path such as `spec.pipeline.steps[1].guardrail` (the line of its
   * key, or of the item for list elements); for a path that does not exist, the line of its deepest
   * existing ancestor, down to the document's own line.
   */
  locate(fieldPath: string): number;
};

/**
 * Field lines of one file's documents. Offsets are found again from the text on the first
 * `locate`, not kept for every document read: a server holding tens of thousands never asks.
 */
export class FileLocator {
  readonly #path: string;
  readonly #text: string;
  #offsetsBySlice: Map<string, number>[] | undefined;
  #lineStarts: number[] | undefined;

  constructor(path: string, text: string) {
    this.#path = path;
    this.#text = text;
  }

  /** `ReadDocument.locate` for the document at `slice`, whose content starts at `docLine`. */
  locate(slice: number, docLine: number, fieldPath: string): number {
    const offsets = this.#offsets(slice);
    for (let end = fieldPath.length; end > 0; end--) {
      if (end < fieldPath.length && fieldPath[end] !== '.' && fieldPath[end] !== '[') continue;
      const offset = offsets.get(fieldPath.slice(0, end));
      if (offset !== undefined) return this.#lineOf(offset);
    }
    return docLine;
  }

  #lineOf(offset: number): number {
    this.#lineStarts ??= lineStarts(this.#text);
    return lineAt(this.#lineStarts, offset);
  }

  #offsets(slice: number): Map<string, number> {
    const text = this.#text;
    this.#offsetsBySlice ??= documentSlices(parseEvents(text, { filename: this.#path })).map((events) => {
      const offsets = new Map<string, number>();
      walkNode(events, { i: 1 }, '', undefined, text, offsets);
      return offsets;
    });
    return this.#offsetsBySlice[slice] ?? new Map();
  }
}

/** One document read, with no closure of its own: tens of thousands of them stay small. */
class Document implements ReadDocument {
  readonly value: unknown;
  readonly line: number;
  readonly slice: number;
  readonly file: FileLocator;

  constructor(value: unknown, line: number, slice: number, file: FileLocator) {
    this.value = value;
    this.line = line;
    this.slice = slice;
    this.file = file;
  }

  locate(fieldPath: string): number {
    return this.file.locate(this.slice, this.line, fieldPath);
  }
}

/** A file that could not be read: `path` is the file, `line` is 1-based. */
export type ReadIssue = { readonly path: string; readonly line: number; readonly message: string };

/**
 * Every non-empty document of a `.json` file (one document) or of any other file read as YAML
 * (`.yaml`, `.yml`: `---`-separated documents), in file order, whatever their apiVersion: the
 * caller decides what it reads. Empty and null documents are skipped. Never throws: a YAML syntax
 * error gives an issue with its line and no documents for the file, so a caller keeps the last
 * good state instead of applying half a file; an error within one document (a duplicate key)
 * drops only that document.
 */
export function readDocuments(
  path: string,
  text: string,
): { documents: ReadDocument[]; issues: ReadIssue[]; locator: FileLocator } {
  const lines = lineStarts(text);
  const json = /\.json$/i.test(path);
  let jsonValue: unknown;
  let events: Event[];
  try {
    if (json) jsonValue = JSON.parse(text);
    events = parseEvents(text, { filename: path });
  } catch (e) {
    return { documents: [], issues: [syntaxIssue(path, e, lines)], locator: new FileLocator(path, text) };
  }
  const documents: ReadDocument[] = [];
  const issues: ReadIssue[] = [];
  const file = new FileLocator(path, text);
  documentSlices(events).forEach((events, slice) => {
    let value: unknown;
    try {
      value = json ? jsonValue : constructFromEvents(events, { source: text, filename: path })[0];
    } catch (e) {
      issues.push(syntaxIssue(path, e, lines));
      return;
    }
    if (value === null || value === undefined) return;
    documents.push(new Document(value, lineAt(lines, rootOffset(events)), slice, file));
  });
  return { documents, issues, locator: file };
}

/** The offset `walkNode` records for a document's root node (path ''), or 0. */
function rootOffset(events: readonly Event[]): number {
  const ev = events[1];
  const offset =
    ev === undefined
      ? -1
      : ev.type === EVENT_ID.SCALAR
        ? ev.valueStart
        : ev.type === EVENT_ID.ALIAS
          ? ev.anchorStart - 1
          : ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE
            ? ev.start
            : -1;
  return Math.max(offset, 0);
}

/** The events of each document, from its DOCUMENT event to its closing POP. */
function documentSlices(events: readonly Event[]): Event[][] {
  const slices: Event[][] = [];
  let depth = 0;
  let start = 0;
  events.forEach((ev, i) => {
    if (ev.type === EVENT_ID.POP) {
      depth--;
      if (depth === 0) slices.push(events.slice(start, i + 1));
    } else if (ev.type !== EVENT_ID.SCALAR && ev.type !== EVENT_ID.ALIAS) {
      if (depth === 0) start = i;
      depth++;
    }
  });
  return slices;
}

/**
 * Records the source offset of the node at `cursor` (and of everything under it) under `path`:
 * `at` (the key's offset, for mapping values) when given, else the node's own start. Offsets of
 * -1 (empty scalars) are not recorded, so they fall back to an ancestor.
 */
function walkNode(
  events: readonly Event[],
  cursor: { i: number },
  path: string,
  at: number | undefined,
  text: string,
  offsets: Map<string, number>,
): void {
  const ev = events[cursor.i++];
  if (ev === undefined) return;
  const record = (own: number) => {
    const offset = at ?? own;
    if (offset >= 0) offsets.set(path, offset);
  };
  switch (ev.type) {
    case EVENT_ID.SCALAR:
      record(ev.valueStart);
      return;
    case EVENT_ID.ALIAS:
      record(ev.anchorStart - 1);
      return;
    case EVENT_ID.MAPPING:
      record(ev.start);
      while (events[cursor.i]?.type !== EVENT_ID.POP) {
        const key = events[cursor.i];
        if (key?.type === EVENT_ID.SCALAR) {
          cursor.i++;
          walkNode(events, cursor, childPath(path, getScalarValue(text, key)), key.valueStart, text, offsets);
        } else {
          // A complex key (a mapping or list as key) has no field path: skip key and value.
          walkNode(events, cursor, `${path}[?]`, undefined, text, new Map());
          walkNode(events, cursor, `${path}[?]`, undefined, text, new Map());
        }
      }
      cursor.i++;
      return;
    case EVENT_ID.SEQUENCE: {
      record(ev.start);
      let index = 0;
      while (events[cursor.i]?.type !== EVENT_ID.POP)
        walkNode(events, cursor, `${path}[${index++}]`, undefined, text, offsets);
      cursor.i++;
      return;
    }
    default:
      return;
  }
}

/** A YAMLException carries a 0-based mark; a JSON.parse error names a position or a line in its message. */
function syntaxIssue(path: string, e: unknown, lines: readonly number[]): ReadIssue {
  const err = e as { reason?: string; message?: string; mark?: { line: number; column: number } };
  if (err.mark !== undefined) {
    const line = err.mark.line + 1;
    const message = `YAML syntax error at line ${line}, column ${err.mark.column + 1}: ${err.reason ?? err.message}`;
    return { path, line, message };
  }
  const text = err.message ?? String(e);
  const position = /at position (\d+)/.exec(text)?.[1];
  const line = Number(
    /\(line (\d+)/.exec(text)?.[1] ?? (position === undefined ? 1 : lineAt(lines, Number(position))),
  );
  return { path, line, message: `JSON syntax error at line ${line}: ${text}` };
}

/** Offsets where each line starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset. */
function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
