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
 * What one file may hold before it is refused unread (its last good objects keep serving): a
 * hostile or broken file must cost milliseconds, not the event loop. Each has a `serve` flag.
 */
export type YamlLimits = {
  /** `--yaml-max-file-bytes`: larger files are not read at all. */
  readonly maxFileBytes: number;
  /** `--yaml-max-documents`: `---`-separated documents in one file. */
  readonly maxDocuments: number;
  /** `--yaml-max-depth`: nesting of mappings and lists, counting what aliases bring in. */
  readonly maxDepth: number;
  /** `--yaml-max-alias-nodes`: nodes that aliases add to one document once expanded (billion laughs). */
  readonly maxAliasNodes: number;
};

export const YAML_LIMITS: YamlLimits = {
  maxFileBytes: 8 << 20,
  maxDocuments: 10_000,
  maxDepth: 64,
  maxAliasNodes: 10_000,
};

/** The flag that sets each limit, for messages that say how to raise it. */
const YAML_LIMIT_FLAGS: Readonly<Record<keyof YamlLimits, string>> = {
  maxFileBytes: '--yaml-max-file-bytes',
  maxDocuments: '--yaml-max-documents',
  maxDepth: '--yaml-max-depth',
  maxAliasNodes: '--yaml-max-alias-nodes',
};

/** The issue of a file over its size limit, for callers that check the size before reading. */
export function oversizeIssue(path: string, bytes: number, limits: YamlLimits = YAML_LIMITS): ReadIssue {
  return {
    path,
    line: 1,
    message: `file is ${bytes} bytes, over the limit of ${limits.maxFileBytes} (${YAML_LIMIT_FLAGS.maxFileBytes}); it was not read`,
  };
}

/**
 * Every non-empty document of a `.json` file (one document) or of any other file read as YAML
 * (`.yaml`, `.yml`: `---`-separated documents), in file order, whatever their apiVersion: the
 * caller decides what it reads. Empty and null documents are skipped. Never throws: a YAML syntax
 * error gives an issue with its line and no documents for the file, so a caller keeps the last
 * good state instead of applying half a file; an error within one document (a duplicate key)
 * drops only that document. A file over one of `limits` (size, documents, nesting, alias
 * expansion) is refused the same way as a syntax error, before anything is built from it.
 */
export function readDocuments(
  path: string,
  text: string,
  limits: YamlLimits = YAML_LIMITS,
): { documents: ReadDocument[]; issues: ReadIssue[]; locator: FileLocator } {
  const refused = (issue: ReadIssue) => ({
    documents: [],
    issues: [issue],
    locator: new FileLocator(path, text),
  });
  // UTF-16 units are at most the bytes of the UTF-8 file (and at least a third of them).
  if (text.length > limits.maxFileBytes) return refused(oversizeIssue(path, text.length, limits));
  const lines = lineStarts(text);
  const json = /\.json$/i.test(path);
  let jsonValue: unknown;
  let events: Event[];
  try {
    if (json) jsonValue = JSON.parse(text);
    events = parseEvents(text, { filename: path, maxDepth: limits.maxDepth });
  } catch (e) {
    return refused(syntaxIssue(path, e, lines));
  }
  const over = overLimits(path, text, events, lines, limits);
  if (over) return refused(over);
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

/**
 * The first limit the events break, with the line where they break it: the document count, or in
 * one document the nesting depth or the nodes its aliases add once expanded. One pass; an alias
 * costs what its anchor's node expanded to, which is known when the alias is met (YAML anchors
 * come before their aliases), so a billion laughs is refused after a few hundred events.
 */
function overLimits(
  path: string,
  text: string,
  events: readonly Event[],
  lines: readonly number[],
  limits: YamlLimits,
): ReadIssue | undefined {
  const at = (offset: number, message: string): ReadIssue => ({
    path,
    line: lineAt(lines, Math.max(offset, 0)),
    message: `${message}; the file was not read`,
  });
  const cap = (n: number) => Math.min(n, Number.MAX_SAFE_INTEGER);
  let documents = 0;
  let anchors = new Map<string, { size: number; depth: number }>();
  let aliasNodes = 0;
  // Open collections: expanded size so far, height of what is below so far, anchor name.
  const open: { size: number; depth: number; anchor: string | undefined }[] = [];
  /** A child of the innermost open collection: its expanded size and height (a scalar's is 0). */
  const add = (size: number, height: number) => {
    const parent = open[open.length - 1];
    if (parent) {
      parent.size = cap(parent.size + size);
      parent.depth = Math.max(parent.depth, height + 1);
    }
  };
  const anchorOf = (ev: { anchorStart: number; anchorEnd: number }) =>
    ev.anchorStart >= 0 ? text.slice(ev.anchorStart, ev.anchorEnd) : undefined;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i] as Event;
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > limits.maxDocuments)
          return at(
            rootOffset(events.slice(i, i + 2)),
            `more than ${limits.maxDocuments} documents (${YAML_LIMIT_FLAGS.maxDocuments})`,
          );
        anchors = new Map();
        aliasNodes = 0;
        open.push({ size: 0, depth: 0, anchor: undefined });
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE:
        open.push({ size: 1, depth: 0, anchor: anchorOf(ev) });
        break;
      case EVENT_ID.SCALAR: {
        const anchor = anchorOf(ev);
        if (anchor !== undefined) anchors.set(anchor, { size: 1, depth: 0 });
        add(1, 0);
        break;
      }
      case EVENT_ID.ALIAS: {
        const target = anchors.get(text.slice(ev.anchorStart, ev.anchorEnd)) ?? { size: 1, depth: 0 };
        aliasNodes = cap(aliasNodes + target.size);
        if (aliasNodes > limits.maxAliasNodes)
          return at(
            ev.anchorStart - 1,
            `its aliases expand to more than ${limits.maxAliasNodes} nodes (${YAML_LIMIT_FLAGS.maxAliasNodes})`,
          );
        const depth = open.length - 1 + target.depth;
        if (depth > limits.maxDepth)
          return at(
            ev.anchorStart - 1,
            `nesting deeper than ${limits.maxDepth} levels once aliases are expanded (${YAML_LIMIT_FLAGS.maxDepth})`,
          );
        add(target.size, target.depth);
        break;
      }
      case EVENT_ID.POP: {
        const done = open.pop();
        if (done === undefined) break;
        if (done.anchor !== undefined) anchors.set(done.anchor, { size: done.size, depth: done.depth });
        add(done.size, done.depth);
        break;
      }
    }
  }
  return undefined;
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
    const depth = /nesting exceeded maxDepth \((\d+)\)/.exec(err.reason ?? '')?.[1];
    if (depth !== undefined)
      return {
        path,
        line,
        message: `nesting deeper than ${depth} levels (${YAML_LIMIT_FLAGS.maxDepth}); the file was not read`,
      };
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
