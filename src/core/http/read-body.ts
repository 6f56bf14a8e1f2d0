/**
 * @internal
 * The answer's body, within what is left of the attempt's `timeoutMs`: ky's timeout ends when the
 * headers arrive, so a body that stalls would otherwise hold the call until the socket gives up. Past
 * the time, the body is cancelled and the attempt fails as a timeout (no answer). A body that breaks for
 * another reason reads as empty, unless the caller aborted.
 */
export async function readBody(
  response: Response,
  call: { signal?: AbortSignal | undefined },
  leftMs: number,
): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        response.body?.cancel().catch(() => {});
        reject(new DOMException("the answer's body did not arrive in time", 'TimeoutError'));
      },
      Math.max(0, leftMs),
    );
  });
  const text = response.text().catch((error: unknown) => {
    if (call.signal?.aborted) throw error;
    return '';
  });
  try {
    return await Promise.race([text, timedOut]);
  } finally {
    clearTimeout(timer);
    text.catch(() => {}); // the body's own failure, once the timeout has already answered
  }
}
