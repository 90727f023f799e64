import { registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';

function recordValidator(name: string, check: (v: unknown) => boolean, describe: string, maxKeys = 256) {
  return (options?: ValidationOptions) => (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be an object of at most ${maxKeys} entries mapping keys (≤128 chars) to ${describe}`, ...options },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          return entries.length <= maxKeys && entries.every(([k, v]) => k.length > 0 && k.length <= 128 && check(v));
        },
      },
    });
}

export const IsNumberRecord = recordValidator('isNumberRecord', (v) => typeof v === 'number' && Number.isFinite(v), 'finite numbers');
export const IsStringRecord = recordValidator('isStringRecord', (v) => typeof v === 'string' && v.length <= 1024, 'strings (≤1024 chars)');
export const IsScalarRecord = recordValidator(
  'isScalarRecord',
  (v) => (typeof v === 'string' && v.length <= 1024) || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)),
  'strings, numbers or booleans',
);

/** Any JSON object or array (schemas are free-form); size is bounded by the body limit. */
export function IsJsonStructure(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isJsonStructure',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be a JSON object or array`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'object' && value !== null },
    });
}

/**
 * Like @IsOptional(), but only a missing field skips validation: `null` is checked like any other
 * value (and refused by the field's type rule), so null never reaches a handler or an event, and
 * the OpenAPI document can say "not nullable" truthfully.
 */
export const Optional = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
