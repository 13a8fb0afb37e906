/**
 * The event socket's framing (src/mod/event_handlers/mod_event_socket/mod_event_socket.c): a block
 * of `Name: value` lines ended by a blank line, then, with `Content-Length: N`, N bytes of body.
 *
 * TCP cuts and joins frames anywhere, and a frame may be wrong; a wrong frame must cost that frame
 * only. Everything is measured in bytes (Content-Length counts bytes; a Cyrillic letter is two).
 * An event body (`text/event-json`) is one JSON object on one line (cJSON_PrintUnformatted), so
 * its true end is found by scanning it (strings, escapes, braces) rather than trusted from
 * Content-Length: a length that disagrees with the event skips the event, and the next frame starts
 * where the event really ended. Bytes that are no frame at all are dropped up to the next frame
 * start (every frame FreeSWITCH writes begins with `Content-Length:` or `Content-Type:`).
 */

export interface EslFrame {
  headers: Record<string, string>;
  /** The raw body, or null when the frame has none. */
  body: Buffer | null;
  /** A `text/event-json` body, parsed: a JSON object. */
  json?: Record<string, unknown>;
}

export interface FrameHandlers {
  frame(frame: EslFrame): void;
  /** A frame (or bytes outside any frame) skipped; the reason never quotes the bytes. */
  malformed(reason: string): void;
}

const LF = 0x0a;
const HEADER_END = Buffer.from('\n\n');
const FRAME_STARTS = [Buffer.from('Content-Length:'), Buffer.from('Content-Type:')];
const HEADER_LINE = /^[A-Za-z][A-Za-z0-9_-]*: ?/;
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Where the scan of an event body stands, kept between chunks so a body is read once. */
interface BodyScan {
  headers: Record<string, string>;
  declared: number;
  pos: number;
  started: boolean;
  depth: number;
  inString: boolean;
  escaped: boolean;
  /** The body is no JSON object: where that was seen. */
  brokenAt: number | null;
}

export class EslFrameParser {
  private buffer: Buffer = Buffer.alloc(0);
  /** How far the buffer was searched for a header end (so 1-byte chunks do not rescan). */
  private searched = 0;
  private scan: BodyScan | null = null;
  /** A frame that is no event, waiting for its Content-Length bytes (the only guide it has). */
  private waiting: { headers: Record<string, string>; declared: number } | null = null;
  /** The bytes that follow a skipped event are its own remains: counted with it, not again. */
  private afterBadEvent = false;

  constructor(private readonly handlers: FrameHandlers) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length > 0 && this.step()) {
      // one frame, or one skipped piece, a turn
    }
  }

  /** Bytes waiting for the rest of their frame. */
  get pending(): number {
    return this.buffer.length;
  }

  private consume(bytes: number): void {
    this.buffer = this.buffer.subarray(bytes);
    this.searched = 0;
  }

  /** Takes one frame or one piece to skip off the buffer; false when more bytes are needed. */
  private step(): boolean {
    if (this.scan) return this.stepEventBody(this.scan);
    if (this.waiting) return this.stepBody(this.waiting);
    let blank = 0;
    while (blank < this.buffer.length && (this.buffer[blank] === LF || this.buffer[blank] === 0x0d)) blank++;
    if (blank > 0) {
      this.consume(blank);
      return true;
    }
    const end = this.buffer.indexOf(HEADER_END, Math.max(0, this.searched - 1));
    if (end < 0) {
      this.searched = this.buffer.length;
      if (this.buffer.length > MAX_HEADER_BYTES) {
        this.skip('no end of headers within 64 KiB');
        this.consume(this.buffer.length);
        this.afterBadEvent = true;
      }
      return false;
    }
    const block = this.buffer.subarray(0, end);
    const garbage = garbageBefore(block);
    if (garbage !== 0) {
      if (!this.afterBadEvent) this.skip('bytes outside any frame');
      this.afterBadEvent = false;
      this.consume(garbage > 0 ? garbage : end + 2);
      return true;
    }
    this.afterBadEvent = false;
    const headers = parseHeaders(block.toString('utf8'));
    this.consume(end + 2);
    const lengthText = headers['Content-Length'];
    if (lengthText === undefined) {
      this.handlers.frame({ headers, body: null });
      return true;
    }
    const declared = /^\d{1,9}$/.test(lengthText) ? Number(lengthText) : Number.NaN;
    if (!(declared <= MAX_BODY_BYTES)) {
      this.skip('Content-Length is not a byte count up to 16 MiB');
      this.afterBadEvent = true;
      return true;
    }
    if (headers['Content-Type'] === 'text/event-json') {
      this.scan = {
        headers,
        declared,
        pos: 0,
        started: false,
        depth: 0,
        inString: false,
        escaped: false,
        brokenAt: null,
      };
      return true;
    }
    this.waiting = { headers, declared };
    return declared === 0 ? this.stepBody(this.waiting) : true;
  }

  private stepBody(waiting: { headers: Record<string, string>; declared: number }): boolean {
    if (this.buffer.length < waiting.declared) return false;
    this.waiting = null;
    const body = this.buffer.subarray(0, waiting.declared);
    this.consume(waiting.declared);
    this.handlers.frame({ headers: waiting.headers, body });
    return true;
  }

  private stepEventBody(scan: BodyScan): boolean {
    if (scan.brokenAt === null) {
      const end = scanJson(this.buffer, scan);
      if (end === null) return false;
      if (end >= 0) {
        this.scan = null;
        const body = this.buffer.subarray(0, end);
        this.consume(end);
        if (end !== scan.declared) {
          this.skip(`Content-Length ${scan.declared} but the event is ${end} bytes`);
          return true;
        }
        const json = parseObject(body);
        if (json) this.handlers.frame({ headers: scan.headers, body, json });
        else this.skip(`event body of ${end} bytes is not a JSON object`);
        return true;
      }
      scan.brokenAt = scan.pos;
    }
    // Not a JSON object: skip to the next frame start after it, or by its length.
    const at = scan.brokenAt;
    const newline = this.buffer[at] === LF ? at : this.buffer.indexOf(LF, at);
    const markerCut = newline >= 0 ? lastFrameStart(this.buffer, newline) : -1;
    let cut: number;
    if (markerCut > 0) cut = Math.min(scan.declared, markerCut);
    else if (this.buffer.length >= scan.declared) cut = scan.declared;
    else return false;
    this.scan = null;
    this.consume(cut);
    this.skip(`event body of ${scan.declared} bytes is not a JSON object`);
    this.afterBadEvent = true;
    return true;
  }

  private skip(reason: string): void {
    this.handlers.malformed(reason);
  }
}

/**
 * Advances the scan of a JSON object over `buffer`: its end offset, null when more bytes are
 * needed, -1 when it is no JSON object (a first byte other than `{`, a raw line break, too long).
 * UTF-8 continuation bytes are all >= 0x80, so quotes, backslashes and braces are found bytewise.
 */
function scanJson(buffer: Buffer, scan: BodyScan): number | null {
  for (; scan.pos < buffer.length; scan.pos++) {
    if (scan.pos > MAX_BODY_BYTES) return -1;
    const byte = buffer[scan.pos];
    if (!scan.started) {
      if (byte === 0x20 || byte === 0x09 || byte === 0x0d) continue;
      if (byte !== 0x7b) return -1;
      scan.started = true;
      scan.depth = 1;
      continue;
    }
    if (byte === LF) return -1;
    if (scan.inString) {
      if (scan.escaped) scan.escaped = false;
      else if (byte === 0x5c) scan.escaped = true;
      else if (byte === 0x22) scan.inString = false;
    } else if (byte === 0x22) scan.inString = true;
    else if (byte === 0x7b) scan.depth++;
    else if (byte === 0x7d && --scan.depth === 0) return scan.pos + 1;
  }
  return null;
}

function parseObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * 0 when the block is a frame's header; otherwise how many bytes to drop before the next frame
 * start in it (-1: none there, drop the whole block).
 */
function garbageBefore(block: Buffer): number {
  const lines = block.toString('latin1').split('\n'); // latin1: one char a byte
  const frameStartInside = (line: string) => FRAME_STARTS.some((marker) => line.indexOf(marker.toString('latin1')) > 0);
  if (HEADER_LINE.test(lines[0] ?? '') && !lines.some(frameStartInside)) return 0;
  let first = -1;
  for (const marker of FRAME_STARTS) {
    const at = block.indexOf(marker, 1);
    if (at > 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

/** The last frame start before `limit` (after offset 0), or -1. */
function lastFrameStart(buffer: Buffer, limit: number): number {
  let last = -1;
  for (const marker of FRAME_STARTS) {
    const at = buffer.subarray(0, limit).lastIndexOf(marker);
    if (at > 0) last = Math.max(last, at);
  }
  return last;
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
  }
  return headers;
}
