import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startServer, type RunningServer, type ServerOptions } from '../../src/http/server.ts';
import { sharedApp } from '../app-fixture.ts';

/** The real app behind a real server on a loopback port, logs captured instead of printed. */
export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<RunningServer & { logs: string[] }> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const running = await startServer(await sharedApp(), { port: 0, host: '127.0.0.1', logger: pino({ level: 'debug' }, sink), ...opts });
  return { ...running, logs };
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Parses a complete text/event-stream body; comments (heartbeats) are skipped. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}
