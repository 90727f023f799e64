import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import type { ErrorDetail } from '#domain';
import { ProblemException } from './problem.js';

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({
      field,
      rule: rule === 'whitelistValidation' ? 'unknownField' : rule,
      message: rule === 'whitelistValidation' ? `unknown field '${field}'` : message,
    }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * A DTO body must be a JSON object: `null`, no body, an array or a scalar is refused here, naming
 * the body, before class-transformer turns it into an instance with every field missing.
 */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = typeof metadata.metatype === 'function' && ![Object, String, Number, Boolean, Array].includes(metadata.metatype as never);
    if (metadata.type === 'body' && isDto && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      const got = value === undefined ? 'no body' : value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new ProblemException({
        status: 400,
        code: 'VALIDATION_FAILED',
        detail: `body: the request body must be a JSON object, got ${got}`,
        errors: [{ field: 'body', rule: 'isObject', message: `the request body must be a JSON object, got ${got}` }],
      });
    }
    return super.transform(value, metadata);
  }
}

/** class-validator with unknown fields rejected; failures become problem+json naming each field and rule. */
export function validationPipe(): ValidationPipe {
  return new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      return new ProblemException({
        status: 400,
        code: 'VALIDATION_FAILED',
        detail: details.map((d) => `${d.field}: ${d.message}`).join('; '),
        errors: details,
      });
    },
  });
}
