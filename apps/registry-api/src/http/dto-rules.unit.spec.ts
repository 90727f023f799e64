import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { AppModule } from '../app.module.js';
import { AuditModule } from '../infrastructure/audit.module.js';

/**
 * Issue 8 row #6 as a class: a required nested object validated with only @ValidateNested()
 * passes when it is missing (class-validator skips undefined) or an array (validated element by
 * element). Every nested DTO property must also say it is an object.
 */
test('every @ValidateNested() property of a single object also carries @IsObject()', () => {
  expect([AppModule, AuditModule]).toBeDefined(); // loads every controller and so every DTO
  const byTarget = (getMetadataStorage() as unknown as { validationMetadatas: Map<{ name: string }, { propertyName: string; type: string; name?: string; each?: boolean }[]> }).validationMetadatas;
  const missing: string[] = [];
  let nested = 0;
  for (const [target, metas] of byTarget) {
    for (const m of metas.filter((x) => x.type === ValidationTypes.NESTED_VALIDATION && !x.each)) {
      nested++;
      const isObject = metas.some((x) => x.propertyName === m.propertyName && x.name === 'isObject');
      if (!isObject) missing.push(`${target.name}.${m.propertyName}`);
    }
  }
  expect(nested).toBeGreaterThanOrEqual(4);
  expect(missing).toEqual([]);
});
