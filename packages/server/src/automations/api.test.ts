/**
 * The `automations` and `followUps` fields of the campaign resource (validation, 400 naming the
 * field, nothing half-written) and the test console.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../test/harness.ts';

let engage: TestEngage;
let id: string;
const DISPOSITIONS = [{ disposition: 'Booked', success: true }, { disposition: 'Wrong number', doNotContact: true }];
const RULES = [
  { name: 'wrong', when: { type: 'ANY_WORD', words: ['wrong number'] }, then: [{ type: 'SET_DISPOSITION', disposition: 'Wrong number' }, { type: 'STOP' }] },
  { name: 'yes', when: { type: 'EXACT', words: ['yes'] }, then: [{ type: 'REPLY', message: 'See you {{Day}}, {{FirstName}}!' }, { type: 'SET_DISPOSITION', disposition: 'Booked' }] },
  { name: 'any reply', when: { type: 'FIRST_REPLY' }, then: [{ type: 'TAG', tag: 'replied' }] },
  { name: 'slow', when: { type: 'REGEX', pattern: '^(a+)+$' }, then: [{ type: 'TAG', tag: 'never' }] },
];
const patch = (body: unknown) => engage.api('PATCH', `/api/public/engage/campaigns/${id}`, body);
const tryRules = (body: unknown) => engage.api('POST', `/api/public/engage/campaigns/${id}/automations/test`, body);

beforeAll(async () => {
  engage = await startTestEngage({ worker: false, quietHoursPolicy: 'US_TCPA' });
  const c = await engage.api('POST', '/api/public/engage/campaigns', { name: 'Rules', dispositions: DISPOSITIONS, automations: RULES, followUps: [{ delayHours: 24, message: 'Hi again' }] });
  expect(c.status).toBe(201);
  id = c.body.id;
});
afterAll(() => engage?.close());

describe('automations on the campaign resource', () => {
  it('stores rules with ids that survive an edit', async () => {
    const got = (await engage.api('GET', `/api/public/engage/campaigns/${id}`)).body;
    expect(got.automations.map((r: { name: string }) => r.name)).toEqual(['wrong', 'yes', 'any reply', 'slow']);
    expect(got.automations[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.automations[3].when.flags).toBe('i'); // patterns are case-insensitive unless flags say otherwise
    expect(got.followUps).toEqual([{ delayHours: 24, message: 'Hi again' }]);
    const edited = await patch({ automations: [got.automations[1], { ...got.automations[0], name: 'wrong #' }] });
    expect(edited.status).toBe(200);
    expect(edited.body.automations.map((r: { id: string }) => r.id)).toEqual([got.automations[1].id, got.automations[0].id]);
    await patch({ automations: RULES });
  });

  it.each([
    [{ automations: [{ when: { type: 'REGEX', pattern: '(unclosed' }, then: [{ type: 'STOP' }] }] }, 'automations[0].when.pattern'],
    [{ automations: [{ when: { type: 'REGEX', pattern: 'x', flags: 'g' }, then: [{ type: 'STOP' }] }] }, 'automations[0].when.flags'],
    [{ automations: [RULES[0], { when: { type: 'EXACT' }, then: [{ type: 'STOP' }] }] }, 'automations[1].when.words'],
    [{ automations: [{ when: { type: 'NUMBER_RANGE', min: 5, max: 1 }, then: [{ type: 'STOP' }] }] }, 'automations[0].when.max'],
    [{ automations: [{ when: { type: 'NO_REPLY' }, then: [{ type: 'STOP' }] }] }, 'automations[0].when.hours'],
    [{ automations: [{ when: { type: 'FIRST_REPLY' }, then: [{ type: 'SET_DISPOSITION', disposition: 'Sold' }] }] }, 'automations[0].then[0].disposition'],
    [{ automations: [{ when: { type: 'FIRST_REPLY' }, then: [{ type: 'REPLY' }] }] }, 'automations[0].then[0].message'],
    [{ automations: [{ when: { type: 'FIRST_REPLY' }, then: [] }] }, 'automations[0].then'],
    [{ automations: [{ when: { type: 'SOMETIMES' }, then: [{ type: 'STOP' }] }] }, 'automations[0].when.type'],
    [{ dispositions: [{ disposition: 'Booked' }] }, 'automations[0].then[0].disposition'],
    [{ followUps: [{ delayHours: 0, message: 'x' }] }, 'followUps[0].delayHours'],
    [{ followUps: [{ delayHours: 1, message: '   ' }] }, 'followUps[0].message'],
    [{ followUps: Array.from({ length: 6 }, () => ({ delayHours: 1, message: 'x' })) }, 'followUps'],
  ])('refuses %j with 400 naming %s, changing nothing', async (body, field) => {
    const before = (await engage.api('GET', `/api/public/engage/campaigns/${id}`)).body;
    const r = await patch(body);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe(field);
    const after = (await engage.api('GET', `/api/public/engage/campaigns/${id}`)).body;
    expect({ ...after, events: null, updated: null }).toEqual({ ...before, events: null, updated: null });
  });
});

describe('the test console', () => {
  it('says which rules fire, in order, and what they would do', async () => {
    const r = await tryRules({ message: 'YES', lead: { leadData: { FirstName: 'Kim', Day: 'Tuesday' }, timeZone: 'America/Chicago', state: 'TX' }, now: '2025-03-09T14:00:00.000Z' });
    expect(r.status).toBe(200);
    expect(r.body.keyword).toBe('OPT_IN');
    expect(r.body.note).toMatch(/ordinary reply/);
    expect(r.body.fires.map((f: { name: string }) => f.name)).toEqual(['yes', 'any reply']);
    expect(r.body.fires[0].actions).toEqual([
      // Sunday 8:00 in Texas: quiet hours hold the reply until noon (Texas Sundays).
      { type: 'REPLY', message: 'See you Tuesday, Kim!', sendAt: '2025-03-09T17:00:00.000Z' },
      { type: 'SET_DISPOSITION', disposition: 'Booked', doNotContact: false },
    ]);
    expect(r.body.fires[1].actions).toEqual([{ type: 'TAG', tag: 'replied' }]);
  });

  it('honours STOP, skips timed-out patterns, and never runs rules on a compliance keyword', async () => {
    const wrong = await tryRules({ message: 'wrong number!' });
    expect(wrong.body.fires.map((f: { name: string; actions: { doNotContact?: boolean }[] }) => [f.name, f.actions[0]!.doNotContact])).toEqual([['wrong', true]]);
    const slow = await tryRules({ message: `${'a'.repeat(40)}!`, firstReply: false });
    expect(slow.body.fires).toEqual([]);
    expect(slow.body.timedOut).toHaveLength(1);
    const stop = await tryRules({ message: 'stop' });
    expect(stop.body).toMatchObject({ keyword: 'OPT_OUT', fires: [] });
    const plain = await tryRules({ message: 'maybe later', firstReply: true });
    expect(plain.body).toMatchObject({ keyword: null, note: null });
    expect(plain.body.fires.map((f: { name: string }) => f.name)).toEqual(['any reply']);
  });

  it('tries a draft without saving it, and validates it like a save', async () => {
    const draft = await tryRules({ message: 'I give it 9', automations: [{ name: 'score', when: { type: 'NUMBER_RANGE', min: 9, max: 10 }, then: [{ type: 'TAG', tag: 'promoter' }] }] });
    expect(draft.body.fires).toEqual([{ ruleId: expect.any(String), name: 'score', index: 0, actions: [{ type: 'TAG', tag: 'promoter' }] }]);
    expect((await engage.api('GET', `/api/public/engage/campaigns/${id}`)).body.automations).toHaveLength(RULES.length);
    const bad = await tryRules({ message: 'x', automations: [{ when: { type: 'PHRASE' }, then: [{ type: 'STOP' }] }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('automations[0].when.phrase');
    expect((await tryRules({})).body.error.field).toBe('message');
    expect((await engage.api('POST', '/api/public/engage/campaigns/ffffffffffffffffffffffff/automations/test', { message: 'x' })).status).toBe(404);
  });
});
