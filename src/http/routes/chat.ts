import { Router } from 'express';
import type { Answer, Tools } from '../../tools/index.ts';
import { methodNotAllowed, translateError } from '../errors.ts';
import { logUserText } from '../logger.ts';
import { isAborted } from '../../util/abort.ts';
import { admitOrRefuse, clientSignal, type WorkControl } from '../overload.ts';
import { openEventStream, streamPieces } from '../sse.ts';
import type { HttpRequests } from './requests.ts';

/**
 * POST /api/chat: the answer as JSON, or with `Accept: text/event-stream` as events: `citations`
 * first, then `delta` pieces of the answer text, then `done` with the same JSON; `error` instead
 * when answering fails after the stream opened.
 */
export function chatRouter(t: Tools, requests: HttpRequests, work: WorkControl): Router {
  const router = Router();
  router
    .route('/api/chat')
    .post(async (req, res) => {
      const { message, conversationId } = requests.chat.parse(req.body);
      const log = res.locals.log.child({ route: 'chat' });
      const signal = clientSignal(res, work.cancelOnDisconnect);
      // Refused (503) before the stream opens; once admitted, the answer may wait for a slot.
      const admitted = admitOrRefuse(work.gate, res, signal);
      const ask = () => admitted.run(() => t.answerQuestion({ question: message, conversationId }, signal));
      logUserText(log, 'question', message);
      const logAnswer = (a: Answer) => log.info({ chars: message.length, abstained: a.abstained, citations: a.citations.length, mode: a.mode }, 'answered');

      if (req.accepts(['application/json', 'text/event-stream']) !== 'text/event-stream') {
        const answer = await ask();
        logAnswer(answer);
        res.json(answer);
        return;
      }
      // The stream opens before answering so the client sees progress (and heartbeats) at once;
      // from here on, failures are reported as an `error` event, not a status code.
      const stream = openEventStream(req, res);
      try {
        const answer = await ask();
        logAnswer(answer);
        stream.send('citations', { conversationId: answer.conversationId, citations: answer.citations });
        for (const text of streamPieces(answer.answer)) {
          if (stream.closed) break;
          stream.send('delta', { text });
        }
        stream.send('done', answer);
        if (stream.closed) log.info('client disconnected before the answer was sent');
      } catch (err) {
        // The client left: nobody is there to tell.
        if (isAborted(err)) {
          log.debug('client disconnected; answering stopped');
          return;
        }
        const { body, internal } = translateError(err, res.locals.requestId);
        if (internal) log.error({ err }, 'answer failed mid-stream');
        stream.send('error', body);
      } finally {
        stream.end();
      }
    })
    .all(methodNotAllowed('POST'));
  return router;
}
