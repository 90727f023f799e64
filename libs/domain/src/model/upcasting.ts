/**
 * Event upcasting: stored events are immutable (the hash chain covers their bytes), so when an
 * event type's payload changes shape, the old shape is converted on read, never rewritten.
 * Each event type has a list of upcasters; upcaster k turns schemaVersion k+1 into k+2, so the
 * type's current version is the list's length + 1. Upcasters are pure and total: they must
 * accept every payload ever stored at their version (fill defaults, never throw).
 */
export type Upcaster = (data: unknown) => unknown;
export type UpcasterRegistry = Readonly<Record<string, readonly Upcaster[]>>;

/**
 * The upcasters of the domain's event types. Empty: every type is still at schemaVersion 1.
 * To change a payload: add its upcaster here (e.g. `VersionRejected: [(d) => ({ reasonCode: 'unspecified', ...(d as object) })]`),
 * change the type in EventDataMap to the new shape, and new events are written at the new version.
 */
export const EVENT_UPCASTERS: UpcasterRegistry = {};

/** The schemaVersion new events of this type are written with. */
export function currentSchemaVersion(type: string, registry: UpcasterRegistry = EVENT_UPCASTERS): number {
  return (registry[type]?.length ?? 0) + 1;
}

/**
 * The event as the current code expects it: older payloads pass through the upcasters in order.
 * A version newer than this code knows (written by a newer build) is returned unchanged.
 */
export function upcast<E extends { type: string; schemaVersion: number; data: unknown }>(event: E, registry: UpcasterRegistry = EVENT_UPCASTERS): E {
  const steps = registry[event.type];
  if (!steps || event.schemaVersion > steps.length) return event;
  let data = event.data;
  for (let v = event.schemaVersion; v <= steps.length; v++) data = steps[v - 1](data);
  return { ...event, data, schemaVersion: steps.length + 1 };
}
