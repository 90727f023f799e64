import { Inject, Injectable } from '@nestjs/common';
import { notFound, promotionChecklist, type PromotionPolicy, type PromotionTarget } from '#domain';
import { CommandService } from '../../application/command-service.js';
import { POLICY } from '../../infrastructure/tokens.js';

/** The promotion checklist as the decider would judge it now, without trying to promote. */
@Injectable()
export class GetReadinessHandler {
  constructor(
    private readonly commands: CommandService,
    @Inject(POLICY) private readonly policy: PromotionPolicy,
  ) {}

  async handle(name: string, version: string, targetText = 'Production') {
    const { state } = await this.commands.load(name);
    if (!state.exists) throw notFound('MODEL_NOT_FOUND', `model '${name}' does not exist`, { model: name });
    const v = state.versions[version];
    if (!v) throw notFound('VERSION_NOT_FOUND', `model '${name}' has no version ${version}`, { model: name, version });
    const target: PromotionTarget =
      targetText === 'Production' || targetText === 'Staging' ? { kind: 'stage', stage: targetText } : { kind: 'alias', alias: targetText };
    const requirements = promotionChecklist(this.policy, state, v, target);
    const unmet = requirements.filter((r) => !r.met);
    const blockers: string[] = [];
    if (v.approvalStatus === 'Rejected') blockers.push(`version ${version} was rejected`);
    if (v.stage === 'Archived' && target.kind === 'stage' && target.stage === 'Production') blockers.push('archived: bring it back with rollback');
    return {
      name,
      version,
      stage: v.stage,
      approvalStatus: v.approvalStatus,
      format: v.inspection?.format ?? v.artifact.format,
      inspected: !!v.inspection,
      target: targetText,
      policy: this.policy.id,
      ready: unmet.length === 0 && blockers.length === 0,
      unmet: unmet.length,
      blockers,
      requirements,
      revision: state.revision,
    };
  }
}
