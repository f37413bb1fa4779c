import { expect, it } from 'vitest';
import { resumeTokenUnusable } from '../../src/data/resume-token.js';

it('treats invalid, fatal and history-lost resume tokens as unusable, and nothing else', () => {
  for (const code of [260, 280, 286]) expect(resumeTokenUnusable({ code })).toBe(true);
  expect(resumeTokenUnusable({ code: 1, codeName: 'ChangeStreamHistoryLost' })).toBe(true);
  for (const error of [{ code: 6 }, { code: 11600 }, new Error('network'), null, undefined]) {
    expect(resumeTokenUnusable(error)).toBe(false);
  }
});
