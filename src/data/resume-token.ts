/** Server codes after which a change stream's resume token cannot be used again. */
const TOKEN_UNUSABLE: ReadonlySet<number> = new Set([
  260, // InvalidResumeToken
  280, // ChangeStreamFatalError
  286, // ChangeStreamHistoryLost
]);

/**
 * True when a change stream failed so that its resume token is of no further use: the feed must
 * reopen from now and report that changes in between may have been missed. Shared by every feed.
 */
export function resumeTokenUnusable(error: unknown): boolean {
  const { code, codeName } = (error ?? {}) as { code?: unknown; codeName?: unknown };
  return TOKEN_UNUSABLE.has(Number(code)) || codeName === 'ChangeStreamHistoryLost';
}
