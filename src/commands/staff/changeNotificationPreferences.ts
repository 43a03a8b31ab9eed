// A person chooses, for each kind of notification their role can receive, at once, in the daily digest or
// never. Only the kinds that changed are written and audited (kind, from, to); a kind left as it was keeps
// following the role's default, so a better default later still reaches those who never chose.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { notificationKindsFor } from "../../domain/staffNotifications.js";
import type {
  NotificationDelivery,
  StaffNotificationKind,
  StaffRole,
} from "../../generated/prisma/client.js";

export async function changeNotificationPreferences(
  db: Database,
  options: {
    staff: { id: string; role: StaffRole };
    /** The effective delivery the person had for each kind, as the page showed it. */
    current: ReadonlyMap<StaffNotificationKind, NotificationDelivery>;
    chosen: Partial<Record<StaffNotificationKind, NotificationDelivery>>;
    audit: AuditActor;
  },
): Promise<{ changedKinds: StaffNotificationKind[] }> {
  const changes = notificationKindsFor(options.staff.role).flatMap((kind) => {
    const to = options.chosen[kind];
    const from = options.current.get(kind);
    return to && to !== from ? [{ kind, from: from ?? null, to }] : [];
  });
  if (changes.length === 0) return { changedKinds: [] };
  await db.$transaction(async (tx) => {
    for (const change of changes) {
      await tx.staffNotificationPreference.upsert({
        where: { staffUserId_kind: { staffUserId: options.staff.id, kind: change.kind } },
        create: { staffUserId: options.staff.id, kind: change.kind, delivery: change.to },
        update: { delivery: change.to },
      });
    }
    await recordAudit(
      tx,
      options.audit,
      "staff.notification_preferences_changed",
      { type: "staff_user", id: options.staff.id },
      { changes },
    );
  });
  return { changedKinds: changes.map((change) => change.kind) };
}
