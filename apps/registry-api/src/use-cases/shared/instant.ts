import { registerDecorator, type ValidationOptions } from 'class-validator';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/i;

const daysIn = (year: number, month: number) => [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];

/**
 * Parses an RFC 3339 date-time strictly: every field in range for its calendar month (no
 * 2026-02-30 silently becoming March 2), an explicit offset. Leap seconds (:60) are refused: the
 * ledger's clock cannot represent them. Returns why it is not one, or the instant.
 */
export function parseRfc3339(value: string): { ok: true; date: Date } | { ok: false; why: string } {
  const m = RFC3339.exec(value);
  if (!m) return { ok: false, why: 'expected YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM), e.g. 2026-03-03T14:00:00Z' };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12) return { ok: false, why: `month ${m[2]} is not 01-12` };
  if (day < 1 || day > daysIn(year, month)) return { ok: false, why: `day ${m[3]} does not exist in ${m[1]}-${m[2]}` };
  if (hour > 23 || minute > 59) return { ok: false, why: `${m[4]}:${m[5]} is not a time of day` };
  if (second > 59) return { ok: false, why: 'seconds must be 00-59 (leap seconds are not accepted)' };
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return { ok: false, why: `offset ${m[8]} is not ±00:00-±23:59` };
  const ms = Date.parse(value.toUpperCase());
  if (Number.isNaN(ms)) return { ok: false, why: 'not a representable instant' };
  return { ok: true, date: new Date(ms) };
}

/** class-validator rule for query parameters that are instants (the OpenAPI `format: date-time`). */
export function IsInstant(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isRFC3339',
      target: object.constructor,
      propertyName,
      options: {
        message: ({ value }) => {
          const r = typeof value === 'string' ? parseRfc3339(value) : undefined;
          return `${propertyName} must be an RFC 3339 instant: ${r && !r.ok ? r.why : 'e.g. 2026-03-03T14:00:00Z'}`;
        },
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && parseRfc3339(value).ok },
    });
}
