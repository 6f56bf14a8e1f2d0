import { describe, expect, it } from 'vitest';
import { conversationId, merchantRequestId, requestId } from '../../../src/simulator/ids.js';
import { scanForLeaks } from '../../helpers/leak-scan.js';

// CI once failed on a simulator request id `f83f-f04f-05dc-77c82cd2b0181472829`: its tail reads as
// the phone number 0181472829, so the leak scan flagged the error that carried it. About 1 id in 500
// held such a run; 20,000 draws met dozens before the fix.
describe('simulator ids', () => {
  it('never hold a run of digits the leak scan would take for a phone number', () => {
    const ids: string[] = [];
    for (let i = 0; i < 20_000; i++) ids.push(requestId(), merchantRequestId(), conversationId(new Date()));
    expect(scanForLeaks(ids)).toEqual([]);
  });

  it('keep their documented shapes', () => {
    expect(requestId()).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d{7}$/);
    expect(merchantRequestId()).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d{4}$/);
    expect(conversationId(new Date('2024-07-06T10:00:00Z'))).toMatch(/^AG_20240706_[0-9a-f]{20}$/);
  });
});
