// The "Email notifications" section of one's own profile page (staff/profile/_notifications.njk): for each
// kind the person's role can receive, the three choices with the one in force marked, and whether it is
// the role's default. Security emails are named as always sent: they are not a choice.
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import {
  defaultDelivery,
  NOTIFICATION_DELIVERIES,
  notificationKindsFor,
} from "../domain/staffNotifications.js";
import type { NotificationDelivery, StaffNotificationKind, StaffRole } from "../generated/prisma/client.js";
import type { Translator } from "../i18n/translator.js";
import { urls } from "../urls.js";

/** The delivery in force for each kind the role can receive: the person's choice, else the default. */
export async function findNotificationDeliveries(
  db: Database,
  config: Pick<Config, "cases">,
  staff: { id: string; role: StaffRole },
): Promise<Map<StaffNotificationKind, { delivery: NotificationDelivery; isDefault: boolean }>> {
  const chosen = await db.staffNotificationPreference.findMany({
    where: { staffUserId: staff.id },
    select: { kind: true, delivery: true },
  });
  const byKind = new Map(chosen.map((row) => [row.kind, row.delivery]));
  return new Map(
    notificationKindsFor(staff.role).map((kind) => {
      const own = byKind.get(kind);
      return [
        kind,
        own
          ? { delivery: own, isDefault: false }
          : { delivery: defaultDelivery(kind, config.cases.newCaseNotifications), isDefault: true },
      ];
    }),
  );
}

export function presentNotificationPreferences(
  deliveries: Map<StaffNotificationKind, { delivery: NotificationDelivery; isDefault: boolean }>,
  translator: Translator,
) {
  return {
    action: urls.staffProfileNotifications(),
    kinds: [...deliveries].map(([kind, { delivery, isDefault }]) => ({
      name: kind,
      label: translator.t(`staff.notifications.kind.${kind}`),
      isDefault,
      options: NOTIFICATION_DELIVERIES.map((value) => ({
        value,
        label: translator.t(`staff.notifications.delivery.${value}`),
        isChosen: value === delivery,
      })),
    })),
  };
}
