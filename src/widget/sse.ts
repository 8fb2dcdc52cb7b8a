import { createParser } from 'eventsource-parser';

/**
 * Server-sent events read from a fetch body. EventSource cannot POST, so the chat request is a
 * fetch and its stream is parsed here by eventsource-parser. A stream that goes quiet for stallMs
 * is cancelled, so a stalled server never leaves the widget waiting forever.
 */
export interface SseEvent {
  event: string;
  data: string;
}

export class StallError extends Error {}

export async function* readSse(body: ReadableStream<Uint8Array>, stallMs: number): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const ready: SseEvent[] = [];
  const parser = createParser({ onEvent: (e) => ready.push({ event: e.event ?? 'message', data: e.data }) });
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, stallMs);
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      while (ready.length) yield ready.shift()!;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StallError(`no data for ${ms} ms`)), ms);
  });
  return Promise.race([reader.read(), stalled]).finally(() => clearTimeout(timer));
}
