import { ValidationPipe, type ValidationError } from '@nestjs/common';
import type { ErrorDetail } from '../../../../libs/domain/src/index.js';
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

/** class-validator with unknown fields rejected; failures become problem+json naming each field and rule. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
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
