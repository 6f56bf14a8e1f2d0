import { delay, HttpResponse, http } from 'msw';
import { SANDBOX } from '../fixtures/constants.js';

/** How a captured endpoint answers one request. */
export type Answer =
  | { json: unknown; status?: number }
  | { text: string; status: number }
  | { hang: number }
  | { error: true };

/**
 * An msw handler for one Daraja endpoint that records every request body (parsed JSON) and answers from
 * a script: `answers[i]` for the i-th request, the last one repeated. Needs the OAuth handler of
 * `darajaMock()` beside it.
 */
export function endpoint(path: string, ...answers: Answer[]) {
  const bodies: Record<string, unknown>[] = [];
  const handler = http.post(`${SANDBOX}${path}`, async ({ request }) => {
    bodies.push((await request.json()) as Record<string, unknown>);
    const answer = answers[Math.min(bodies.length - 1, answers.length - 1)] ?? { json: {} };
    if ('hang' in answer) {
      await delay(answer.hang);
      return HttpResponse.json({ ResponseCode: '0' });
    }
    if ('error' in answer) return HttpResponse.error();
    if ('text' in answer) return new HttpResponse(answer.text, { status: answer.status });
    return HttpResponse.json(answer.json as Record<string, unknown>, { status: answer.status ?? 200 });
  });
  return { handler, bodies };
}

/** Daraja's usual acceptance of an initiator request. */
export const ACCEPTED = {
  OriginatorConversationID: '515-5258779-3',
  ConversationID: 'AG_20200123_0000417fed8ed666e976',
  ResponseCode: '0',
  ResponseDescription: 'Accept the service request successfully',
};
