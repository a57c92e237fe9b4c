/**
 * An HTTP/1.1 response read from raw bytes as they arrive, for a download that owns its socket
 * (download.ts). No I/O: bytes go in through feed(), the head and the body's pieces come out
 * through callbacks. Body pieces are views of the bytes fed in, valid only during the callback:
 * the caller reuses one read buffer, so nothing here holds on to them.
 */
export interface ResponseHead {
  status: number;
  /** Header names in lower case; a repeated header keeps its first value. */
  headers: Record<string, string>;
}

export interface ResponseReader {
  /** Takes the next bytes of the response; returns true once the response is complete. */
  feed(bytes: Buffer): boolean;
  /** The connection ended: completes a body delimited by the close, refuses a cut-short one. */
  end(): void;
}

const MAX_HEAD = 16 * 1024;
const MAX_LINE = 1024;

type State = 'head' | 'length' | 'close' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'done';

export function createResponseReader(on: {
  /** The head; return false to read no body (a redirect, an error status: only the head counts). */
  head(head: ResponseHead): boolean;
  body(piece: Buffer): void;
}): ResponseReader {
  let state: State = 'head';
  let head = Buffer.alloc(0);
  let line = ''; // a chunk-size or trailer line, which may arrive in pieces
  let left = 0; // bytes of the body (length) or of the current chunk (chunk-data) still to come

  function startBody(parsed: ResponseHead): State {
    if (parsed.status < 200) return 'head'; // an interim answer (100 Continue): the real one follows
    if (!on.head(parsed) || parsed.status === 204 || parsed.status === 304) return 'done';
    const encoding = parsed.headers['transfer-encoding'];
    if (encoding !== undefined) {
      if (encoding.toLowerCase().split(',').at(-1)?.trim() !== 'chunked')
        throw protocolError(`transfer-encoding ${JSON.stringify(encoding)} is not chunked`);
      return 'chunk-size';
    }
    const length = parsed.headers['content-length'];
    if (length === undefined) return 'close';
    if (!/^\d+$/.test(length)) throw protocolError(`content-length ${JSON.stringify(length)}`);
    left = Number(length);
    return left === 0 ? 'done' : 'length';
  }

  /** Reads up to the end of a CRLF-terminated line; returns how many bytes it took. */
  function takeLine(bytes: Buffer, at: number): { used: number; complete: boolean } {
    const end = bytes.indexOf(10, at);
    const stop = end < 0 ? bytes.length : end + 1;
    line += bytes.toString('latin1', at, stop);
    if (line.length > MAX_LINE) throw protocolError('chunk line longer than 1 KiB');
    return { used: stop - at, complete: end >= 0 };
  }

  function feed(bytes: Buffer): boolean {
    let at = 0;
    while (at < bytes.length && state !== 'done') {
      switch (state) {
        case 'head': {
          const before = head.length;
          head = Buffer.concat([head, bytes.subarray(at)]);
          const end = head.indexOf('\r\n\r\n', Math.max(0, before - 3), 'latin1');
          if (end < 0) {
            if (head.length > MAX_HEAD) throw protocolError('response head larger than 16 KiB');
            return false;
          }
          at += end + 4 - before;
          state = startBody(parseHead(head.toString('latin1', 0, end)));
          head = Buffer.alloc(0);
          break;
        }
        case 'length':
        case 'chunk-data': {
          const take = Math.min(left, bytes.length - at);
          on.body(bytes.subarray(at, at + take));
          at += take;
          left -= take;
          if (left === 0) state = state === 'length' ? 'done' : 'chunk-end';
          break;
        }
        case 'close':
          on.body(bytes.subarray(at));
          at = bytes.length;
          break;
        case 'chunk-size':
        case 'chunk-end':
        case 'trailer': {
          const { used, complete } = takeLine(bytes, at);
          at += used;
          if (!complete) break;
          const text = line.trimEnd();
          line = '';
          if (state === 'chunk-end') {
            if (text !== '') throw protocolError('chunk data longer than its size');
            state = 'chunk-size';
          } else if (state === 'trailer') {
            if (text === '') state = 'done';
          } else {
            const size = text.split(';')[0]?.trim() ?? '';
            if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw protocolError(`chunk size ${JSON.stringify(text)}`);
            left = Number.parseInt(size, 16);
            state = left === 0 ? 'trailer' : 'chunk-data';
          }
          break;
        }
      }
    }
    return state === 'done';
  }

  return {
    feed,
    end() {
      if (state === 'close') state = 'done';
      if (state !== 'done')
        throw protocolError(
          state === 'head' ? 'connection closed before the response head' : 'connection closed in the body',
        );
    },
  };
}

function parseHead(text: string): ResponseHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (!match) throw protocolError(`status line ${JSON.stringify(statusLine.slice(0, 100))}`);
  const headers: Record<string, string> = {};
  for (const header of lines) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw protocolError(`header line ${JSON.stringify(header.slice(0, 100))}`);
    const name = header.slice(0, colon).trim().toLowerCase();
    headers[name] ??= header.slice(colon + 1).trim();
  }
  return { status: Number(match[1]), headers };
}

/** What a socket error looks like to asPhaseError-style callers: a code and a message. */
function protocolError(what: string): Error {
  return Object.assign(new Error(`malformed HTTP response: ${what}`), { code: 'HPE_INVALID' });
}
