// A case's conversation between the applicant and the vetting team, for both sides: the staff comments
// shown to the applicant, the requests for more information (each a question), and the applicant's
// replies (a reply written while a request was open answers it). Oldest first. The applicant's side
// never names staff ("The vetting team"); the staff side names them. Internal comments are never part
// of it: callers pass only comments marked visible to the applicant, and the staff page lists internal
// ones in their own section.
import { formatDateTime, isoDateTime } from "./staff.js";

export interface ConversationSources {
  /** Comments staff chose to show the applicant (never internal ones). */
  visibleComments: readonly { id: string; body: string; createdAt: Date; authorName?: string | null }[];
  /** Every decision; only requests for more information with a reason become questions. */
  decisions: readonly {
    id: string;
    kind: string;
    reason: string | null;
    decidedAt: Date;
    decidedByName?: string | null;
  }[];
  replies: readonly { id: string; body: string; answersDecisionId: string | null; createdAt: Date }[];
}

export interface ConversationEntry {
  kind: "comment" | "question" | "reply";
  /** The element id, for a reply's link to the question it answers. */
  anchor: string;
  author: string;
  /**
   * The staff member who wrote it, for the staff side only (null for the applicant's replies, a former
   * staff member, or the applicant's own view, which never names staff).
   */
  staffName: string | null;
  isFromApplicant: boolean;
  body: string;
  at: string;
  atIso: string | null;
  /** A reply: the question it answers, by anchor. */
  answersAnchor: string | null;
  /** A question: whether a reply answers it. */
  isAnswered: boolean;
}

const TEAM = "The vetting team";

export function presentConversation(
  sources: ConversationSources,
  viewer: "applicant" | "staff",
): ConversationEntry[] {
  const staffName = (name: string | null | undefined) =>
    viewer === "applicant" ? TEAM : `${name ?? "A former staff member"} (vetting team)`;
  const applicantName = viewer === "applicant" ? "You" : "The applicant";
  const answered = new Set(sources.replies.flatMap((reply) => reply.answersDecisionId ?? []));
  const entries: (ConversationEntry & { time: number; order: number })[] = [];
  for (const comment of sources.visibleComments) {
    entries.push({
      kind: "comment",
      anchor: `message-${comment.id}`,
      author: staffName(comment.authorName),
      staffName: viewer === "staff" ? (comment.authorName ?? null) : null,
      isFromApplicant: false,
      body: comment.body,
      at: formatDateTime(comment.createdAt),
      atIso: isoDateTime(comment.createdAt),
      answersAnchor: null,
      isAnswered: false,
      time: comment.createdAt.getTime(),
      order: 0,
    });
  }
  for (const decision of sources.decisions) {
    if (decision.kind !== "REQUEST_MORE_INFORMATION" || !decision.reason) continue;
    entries.push({
      kind: "question",
      anchor: `message-${decision.id}`,
      author: staffName(decision.decidedByName),
      staffName: viewer === "staff" ? (decision.decidedByName ?? null) : null,
      isFromApplicant: false,
      body: decision.reason,
      at: formatDateTime(decision.decidedAt),
      atIso: isoDateTime(decision.decidedAt),
      answersAnchor: null,
      isAnswered: answered.has(decision.id),
      time: decision.decidedAt.getTime(),
      order: 0,
    });
  }
  for (const reply of sources.replies) {
    entries.push({
      kind: "reply",
      anchor: `message-${reply.id}`,
      author: applicantName,
      staffName: null,
      isFromApplicant: true,
      body: reply.body,
      at: formatDateTime(reply.createdAt),
      atIso: isoDateTime(reply.createdAt),
      answersAnchor: reply.answersDecisionId ? `message-${reply.answersDecisionId}` : null,
      isAnswered: false,
      time: reply.createdAt.getTime(),
      // At the same millisecond, a question comes before its answer.
      order: 1,
    });
  }
  entries.sort((a, b) => a.time - b.time || a.order - b.order);
  return entries.map(({ time: _time, order: _order, ...entry }) => entry);
}
