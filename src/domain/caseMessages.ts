// What a person is told when a case refuses an action for a reason many commands share. One home for
// each sentence, so that every page says it the same way.

/** Any action on a case whose personal data was erased (on request, or by the retention purge). */
export const ERASED_CASE_MESSAGE =
  "This case’s personal data was erased, so nothing more can be done with it.";
