/**
 * JSON bodies only, at most 1 MiB. A larger body is read to its end (up to 16 MiB) before the
 * 413 goes out: answering while the client is still sending resets its upload (docs/adr/0006:
 * 19 of 20 http.request uploads of 15 MB), and a client may never read the 413. Past 16 MiB the
 * connection is closed.
 */
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { BodyTooLarge, InvalidBody } from '../errors.js';

export const BODY_LIMIT = 1024 * 1024;
export const DRAIN_LIMIT = 16 * 1024 * 1024;

export function registerJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i,
    { bodyLimit: DRAIN_LIMIT },
    (request, payload, done) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let finished = false;
      const finish = (error: Error | null, body?: unknown) => {
        if (finished) return;
        finished = true;
        done(error, body);
      };
      payload.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > DRAIN_LIMIT) {
          request.raw.headers.connection = 'close';
          finish(new BodyTooLarge(BODY_LIMIT));
          payload.destroy();
          return;
        }
        if (size <= BODY_LIMIT) chunks.push(chunk);
      });
      payload.on('error', (error) => finish(error));
      payload.on('end', () => {
        if (size > BODY_LIMIT) return finish(new BodyTooLarge(BODY_LIMIT));
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') return finish(new InvalidBody('The request body is empty; a JSON object is expected'));
        try {
          finish(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
        } catch (error) {
          finish(new InvalidBody(`The request body is not valid JSON: ${(error as Error).message}`));
        }
      });
    },
  );
}
