import type { Request, Response } from 'express';

/**
 * A Server-Sent Events response. Each event is `event: <name>\ndata: <JSON>\n\n`; JSON.stringify
 * escapes newlines, so one data line always suffices. Once the client disconnects, `closed` turns
 * true and writes are dropped, so a slow answer finishing after the client left cannot crash.
 */
export interface EventStream {
  readonly closed: boolean;
  send(event: string, data: unknown): void;
  end(): void;
}

// Comments keep proxies and load balancers from timing out an idle stream while an answer is prepared.
const HEARTBEAT_MS = 15_000;

export function openEventStream(req: Request, res: Response): EventStream {
  let closed = false;
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  // nginx buffers responses unless told not to.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);

  const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const stop = () => {
    closed = true;
    clearInterval(heartbeat);
  };
  res.on('close', stop);
  res.on('error', stop);

  function write(chunk: string) {
    if (!closed && !res.writableEnded) res.write(chunk);
  }

  return {
    get closed() {
      return closed || res.writableEnded;
    },
    send(event, data) {
      write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      stop();
      if (!res.writableEnded) res.end();
    },
  };
}

const MARKER = /(\[\d+\])/;
const graphemes = new Intl.Segmenter('zh', { granularity: 'grapheme' });

/**
 * Splits text into pieces of about `size` characters for streaming. A piece never ends inside a
 * grapheme (so never inside a surrogate pair or an emoji sequence) nor inside a citation marker
 * such as [12]; the pieces joined are exactly the text.
 */
export function streamPieces(text: string, size = 12): string[] {
  const pieces: string[] = [];
  let current = '';
  const add = (unit: string) => {
    current += unit;
    if (current.length >= size) {
      pieces.push(current);
      current = '';
    }
  };
  // split() with a capturing group puts the markers at the odd indices.
  text.split(MARKER).forEach((part, i) => {
    if (i % 2) add(part);
    else for (const { segment } of graphemes.segment(part)) add(segment);
  });
  if (current) pieces.push(current);
  return pieces;
}
