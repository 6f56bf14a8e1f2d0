import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, inject } from 'vitest';
import { type DarajaError, observeDarajaErrors } from '../../src/core/errors.js';
import { DARAJA_CHANNELS } from '../../src/core/http/hooks.js';
import { errorRenderings, eventRendering, scanForLeaks } from '../helpers/leak-scan.js';
import { captured, setCaptureFile } from '../helpers/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    logCaptureDir: string;
  }
}

const base = join(inject('logCaptureDir'), `${process.pid}-${Math.random().toString(36).slice(2)}`);
setCaptureFile(`${base}.jsonl`);

// Every Daraja error the SDK builds during this file (thrown to a test, swallowed by a flow, logged),
// collected once its constructor has finished and rendered at the end the way a user would print it.
const errors = new Set<DarajaError>();
const STACK_FRAME = /^\s*'? {4}at .*\n/gm;
observeDarajaErrors((error) => errors.add(error));

// Every event the SDK publishes on its diagnostics channels during this file. The client's hooks are
// given the very same (frozen) event objects, so scanning these scans every hook event of the suite too.
const events: string[] = [];
const capturers = Object.values(DARAJA_CHANNELS).map((channel) => {
  const capture = (message: unknown) => events.push(eventRendering(channel, message));
  subscribe(channel, capture);
  return { channel, capture };
});

/** Run `fn` with this file's diagnostics subscribers off: for a test of what happens with none. */
export async function withoutEventCapture<T>(fn: () => Promise<T> | T): Promise<T> {
  for (const { channel, capture } of capturers) unsubscribe(channel, capture);
  try {
    return await fn();
  } finally {
    for (const { channel, capture } of capturers) subscribe(channel, capture);
  }
}

// Every test file ends by scanning what the SDK logged and every error it threw during it: no full phone
// number, token, consumer key or secret, passkey, STK password or security credential may appear.
afterAll(() => {
  const leaks = scanForLeaks(captured);
  expect(leaks, `secrets or phone numbers in ${leaks.length} log lines`).toEqual([]);
  // Stack frames ("    at fn (file:line)") are code locations, never data: dropped to keep the files small.
  const rendered = [...errors].map((e) => errorRenderings(e).join('\n').replace(STACK_FRAME, ''));
  errors.clear();
  if (rendered.length > 0)
    appendFileSync(`${base}.errors.jsonl`, `${rendered.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const eventLeaks = scanForLeaks(events).map((l) => ({ kind: l.kind, event: events[l.line] }));
  events.length = 0;
  expect(eventLeaks, `secrets or phone numbers in ${eventLeaks.length} hook and diagnostics events`).toEqual(
    [],
  );
  const errorLeaks = scanForLeaks(rendered).map((l) => ({ kind: l.kind, error: rendered[l.line] }));
  expect(errorLeaks, `secrets or phone numbers in ${errorLeaks.length} thrown errors`).toEqual([]);
});
