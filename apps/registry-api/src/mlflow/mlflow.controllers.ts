import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '#auth';
import { Scopes } from '#domain';
import { Ctx, type RequestContext } from '../application/request-context.js';
import { MlflowAuthGuard, MlflowScopes } from './mlflow-auth.guard.js';
import { MlflowErrorFilter } from './mlflow-errors.js';
import { MlflowRegistry } from './mlflow-registry.js';

type Src = Record<string, unknown>;
const src = (v: unknown): Src => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Src) : {});

/** Both the REST prefix the Python client uses and the one MLflow's web UI uses. */
const prefixes = (resource: string) => [`api/2.0/mlflow/${resource}`, `ajax-api/2.0/mlflow/${resource}`];

// @Public opts out of the native guard (which reads the model from the path); MlflowAuthGuard
// verifies the same JWT and scopes with the model named in the query or body instead.
@ApiTags('mlflow')
@ApiBearerAuth()
@Public()
@UseGuards(MlflowAuthGuard)
@UseFilters(MlflowErrorFilter)
@Controller(prefixes('registered-models'))
export class MlflowRegisteredModelsController {
  constructor(private readonly registry: MlflowRegistry) {}

  @Post('create')
  @HttpCode(200)
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow CreateRegisteredModel' })
  create(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.createModel(src(body), ctx);
  }

  @Get('get')
  @MlflowScopes(Scopes.read)
  @ApiOperation({ summary: 'MLflow GetRegisteredModel' })
  get(@Query() q: unknown) {
    return this.registry.getModel(src(q));
  }

  @Patch('update')
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow UpdateRegisteredModel (description)' })
  update(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.updateModel(src(body), ctx);
  }

  @Post('rename')
  @HttpCode(200)
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow RenameRegisteredModel: always refused, names are permanent' })
  rename(@Body() body: unknown) {
    return this.registry.rename(src(body));
  }

  @Delete('delete')
  @MlflowScopes(Scopes.promote)
  @ApiOperation({ summary: 'MLflow DeleteRegisteredModel: a tombstone event (registry:promote)' })
  delete(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.deleteModel(src(body), ctx);
  }

  @Get('search')
  @MlflowScopes(Scopes.read)
  @ApiOperation({ summary: 'MLflow SearchRegisteredModels' })
  search(@Query() q: unknown) {
    return this.registry.searchModels(src(q));
  }

  @Post('get-latest-versions')
  @HttpCode(200)
  @MlflowScopes(Scopes.read)
  @ApiOperation({ summary: 'MLflow GetLatestVersions' })
  latestPost(@Body() body: unknown) {
    return this.registry.latestVersions(src(body));
  }

  @Get('get-latest-versions')
  @MlflowScopes(Scopes.read)
  @ApiOperation({ summary: 'MLflow GetLatestVersions' })
  latestGet(@Query() q: unknown) {
    return this.registry.latestVersions(src(q));
  }

  @Post('set-tag')
  @HttpCode(200)
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow SetRegisteredModelTag' })
  setTag(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.setModelTag(src(body), ctx);
  }

  @Delete('delete-tag')
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow DeleteRegisteredModelTag' })
  deleteTag(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.deleteModelTag(src(body), ctx);
  }

  @Post('alias')
  @HttpCode(200)
  // Plain aliases need registry:write; protected ones (prod, champion) registry:promote, checked by the decider.
  @MlflowScopes(Scopes.write, Scopes.promote)
  @ApiOperation({ summary: 'MLflow SetRegisteredModelAlias: a protected alias is a promotion' })
  setAlias(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.setAlias(src(body), ctx);
  }

  @Delete('alias')
  @MlflowScopes(Scopes.write, Scopes.promote)
  @ApiOperation({ summary: 'MLflow DeleteRegisteredModelAlias' })
  deleteAlias(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.deleteAlias(src(body), ctx);
  }

  @Get('alias')
  @MlflowScopes(Scopes.read)
  @ApiOperation({ summary: 'MLflow GetModelVersionByAlias' })
  getAlias(@Query() q: unknown) {
    return this.registry.versionByAlias(src(q));
  }
}

@ApiTags('mlflow')
@ApiBearerAuth()
@Public()
@UseGuards(MlflowAuthGuard)
@UseFilters(MlflowErrorFilter)
@Controller(prefixes('model-versions'))
export class MlflowModelVersionsController {
  constructor(private readonly registry: MlflowRegistry) {}

  @Post('create')
  @HttpCode(200)
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow CreateModelVersion (lineage and digest from source, run_id and model_ledger.* tags)' })
  create(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.createVersion(src(body), ctx);
  }

  @Get('get')
  @MlflowScopes(Scopes.read)
  @ApiOperation({ summary: 'MLflow GetModelVersion' })
  get(@Query() q: unknown) {
    return this.registry.getVersion(src(q));
  }

  @Patch('update')
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow UpdateModelVersion (description)' })
  update(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.updateVersion(src(body), ctx);
  }

  @Delete('delete')
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow DeleteModelVersion: a tombstone event' })
  delete(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.deleteVersion(src(body), ctx);
  }

  @Get('search')
  @MlflowScopes(Scopes.read)
  @ApiOperation({ summary: 'MLflow SearchModelVersions' })
  search(@Query() q: unknown) {
    return this.registry.searchVersions(src(q));
  }

  @Get('get-download-uri')
  @MlflowScopes(Scopes.read)
  @ApiOperation({ summary: 'MLflow GetModelVersionDownloadUri' })
  downloadUri(@Query() q: unknown) {
    return this.registry.downloadUri(src(q));
  }

  @Post('transition-stage')
  @HttpCode(200)
  @MlflowScopes(Scopes.write, Scopes.promote)
  @ApiOperation({ summary: 'MLflow TransitionModelVersionStage: Production is a promotion and always archives the incumbent' })
  transition(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.transitionStage(src(body), ctx);
  }

  @Post('set-tag')
  @HttpCode(200)
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow SetModelVersionTag (model_ledger.artifact_digest records the digest, once)' })
  setTag(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.setVersionTag(src(body), ctx);
  }

  @Delete('delete-tag')
  @MlflowScopes(Scopes.write)
  @ApiOperation({ summary: 'MLflow DeleteModelVersionTag' })
  deleteTag(@Body() body: unknown, @Ctx() ctx: RequestContext) {
    return this.registry.deleteVersionTag(src(body), ctx);
  }
}

export const MLFLOW_CONTROLLERS = [MlflowRegisteredModelsController, MlflowModelVersionsController];
export const MLFLOW_PROVIDERS = [MlflowRegistry, MlflowAuthGuard];
