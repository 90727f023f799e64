import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadEnvFile } from '../../../libs/env-file/src/index.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { Client, enc } from './http.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Globals {
  url: string;
  token?: string;
  json?: boolean;
  idempotencyKey?: string;
}

/** Commands that write: they take --idempotency-key. */
const WRITES = new Set(['models create', 'register', 'gate', 'request-approval', 'approve', 'promote', 'rollback']);

// ---------------------------------------------------------------------------------------------
// Option parsers: bad values are usage errors (exit 2) naming the flag.
// ---------------------------------------------------------------------------------------------
const collect = (value: string, previous: string[] = []) => [...previous, value];
function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`'${value}' is not key=value`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}
function metric(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const kv = keyValue(value);
  const [k, v] = Object.entries(kv)[0];
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`metric '${k}' must be a number, not '${v}'`);
  return { ...previous, [k]: n };
}
const DIGEST = /^sha256:[0-9a-f]{64}$/;
function digest(value: string): string {
  if (!DIGEST.test(value)) throw new InvalidArgumentError('must be sha256: followed by 64 lowercase hex characters');
  return value;
}
function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------
const out = (line = '') => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);
function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}
function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('  ').trimEnd());
}

/** --url/--token/--json may come before the command (program options) or after it (every command has them). */
function globals(cmd: Command): Globals & { client: Client } {
  let root = cmd;
  while (root.parent) root = root.parent;
  const local = cmd.opts() as Partial<Globals>;
  const top = root.opts() as Globals;
  const g: Globals = { url: local.url ?? top.url, token: local.token ?? top.token, json: local.json ?? top.json, idempotencyKey: local.idempotencyKey };
  return { ...g, client: new Client({ url: g.url, token: g.token, idempotencyKey: g.idempotencyKey }) };
}

/** Adds the common options to every command that does work, so `--help` shows them and they may follow the arguments. */
function withCommon(cmd: Command): Command {
  for (const c of cmd.commands) withCommon(c);
  if (cmd.commands.length === 0 && cmd.parent) {
    cmd.option('--url <url>', 'server base URL (env MODEL_LEDGER_URL, default http://localhost:8080)');
    cmd.option('--token <jwt>', 'bearer token (env MODEL_LEDGER_TOKEN)');
    cmd.option('--json', 'machine-readable JSON output');
    const path = cmd.parent.parent ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name();
    if (WRITES.has(path)) cmd.option('--idempotency-key <key>', 'retry-safe write: the same key and body return the first response (e.g. the CI job id)');
  }
  return cmd;
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------
export function buildProgram(): Command {
  const program = new Command('model-ledger');
  program
    .description('model-ledger CLI: register, inspect, gate and promote model versions over the HTTP API')
    .version('0.1.0')
    .addOption(new Option('--url <url>', 'server base URL').env('MODEL_LEDGER_URL').default('http://localhost:8080'))
    .addOption(new Option('--token <jwt>', 'bearer token').env('MODEL_LEDGER_TOKEN'))
    .option('--json', 'machine-readable JSON output')
    .showHelpAfterError('(add --help for usage)')
    .enablePositionalOptions()
    .exitOverride();

  const models = program.command('models').description('create and show models');
  models
    .command('create')
    .description('create a model')
    .argument('<name>', 'model name (lowercase, e.g. churn)')
    .option('--owner <owner>', 'owning team (repeatable)', collect)
    .option('--tag <k=v>', 'tag (repeatable)', keyValue)
    .option('--description <text>', 'description')
    .action(async (name: string, o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const body = { name, ...(o.owner ? { owners: o.owner } : {}), ...(o.tag ? { tags: o.tag } : {}), ...(o.description ? { description: o.description } : {}) };
      const res = await client.json('POST', '/v1/models', body);
      if (json) printJson(res);
      else out(`created model ${name}`);
    });
  models
    .command('get')
    .description('show a model')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const m = await client.json('GET', `/v1/models/${enc(name)}`);
      if (json) printJson(m);
      else out(`${m.name}  owners: ${(m.owners ?? []).join(',') || '-'}  tags: ${JSON.stringify(m.tags ?? {})}  aliases: ${JSON.stringify(m.aliases ?? {})}`);
    });

  program
    .command('inspect')
    .description('inspect an artifact locally (no server): format from the bytes, header checks, pickle scan')
    .argument('<path>', 'file or SavedModel directory')
    .action(async (path: string, _o, cmd: Command) => {
      const { json } = globals(cmd);
      const { inspectPath } = await import('../../../libs/artifact-inspection/src/index.ts');
      if (!existsSync(path)) throw new CliError(`${path} does not exist`, EXIT.usage);
      const r = await inspectPath(path);
      if (json) printJson(r);
      else printInspection(r);
      if (!r.safe) throw new CliError(`unsafe: ${path} runs code when loaded${r.unsafeGlobals.length ? ` (imports ${r.unsafeGlobals.join(', ')})` : ''}`, EXIT.notReady, r);
      if (!r.valid) throw new CliError(`invalid ${r.format}: ${r.errors.join('; ')}`, EXIT.invalid, r);
    });

  program
    .command('register')
    .description('register a version: hashes and inspects a local FILE/DIR, or points at a remote URI (then --digest is required)')
    .argument('<name>', 'model name')
    .argument('<artifact>', 'local file, SavedModel directory, or remote URI (s3://, https://, ...)')
    .option('--version <x.y.z>', 'semver; omitted: the server assigns the next one')
    .option('--artifact-uri <uri>', 'where the artifact is stored (default: file:// URI of the local path)')
    .option('--digest <sha256:hex>', 'artifact digest (required for a remote URI; checked against a local file)', digest)
    .addOption(new Option('--format <format>', 'artifact format of a remote URI (a local file is detected from its bytes)').choices(['onnx', 'torchscript', 'pytorch', 'savedmodel', 'safetensors', 'gguf', 'pickle', 'joblib', 'other']))
    .option('--run-id <id>', 'training run id (lineage)')
    .option('--git-commit <auto|sha>', "commit of the training code; 'auto' reads git rev-parse HEAD")
    .option('--dataset-hash <hash>', 'dataset hash (lineage)')
    .option('--metric <k=v>', 'offline metric (repeatable)', metric)
    .option('--param <k=v>', 'hyper-parameter (repeatable)', keyValue)
    .option('--tag <k=v>', 'tag (repeatable)', keyValue)
    .option('--image <ref@sha256:...>', 'serving image pinned by digest')
    .option('--model-card <file>', 'model card (markdown) to attach')
    .addOption(new Option('--change-kind <kind>', 'retrain (MINOR) or fix (PATCH)').choices(['retrain', 'fix']))
    .option('--description <text>', 'description')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--allow-duplicate', 'register even if another version has the same digest')
    .action(async (name: string, artifact: string, o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const body = await registrationBody(name, artifact, o, json);
      const res = await client.json('POST', `/v1/models/${enc(name)}/versions`, body.request);
      const result = { ...res, name, digest: body.request.artifact.digest, format: body.request.artifact.format, inspection: body.inspection };
      if (json) printJson(result);
      else {
        out(`registered ${name} ${res.version} (${body.request.artifact.format}, ${body.request.artifact.digest})`);
        if (body.request.signature) out(`signature: ${describeSpecs(body.request.signature.inputs)} -> ${describeSpecs(body.request.signature.outputs)}`);
      }
      if (body.inspection && !body.inspection.safe) {
        throw new CliError(
          `registered, but the artifact is UNSAFE (imports ${body.inspection.unsafeGlobals.join(', ') || 'code'}): version ${res.version} can never reach Production or a protected alias`,
          EXIT.notReady,
          json ? null : undefined,
        );
      }
    });

  program
    .command('gate')
    .description('record a CI gate result')
    .argument('<name>')
    .argument('<version>')
    .argument('<gate>', 'gate name, e.g. fairness')
    .addOption(new Option('--status <status>', 'gate outcome').choices(['passed', 'failed']).makeOptionMandatory())
    .option('--metric <k=v>', 'measured value (repeatable)', metric)
    .option('--evidence <url>', 'link to the CI run or report')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (name: string, version: string, gate: string, o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const res = await client.json('POST', `/v1/models/${enc(name)}/versions/${enc(version)}/gates`, {
        gate,
        status: o.status,
        ...(o.metric ? { metrics: o.metric } : {}),
        ...(o.evidence ? { evidenceUri: o.evidence } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
      });
      if (json) printJson(res);
      else out(`gate ${gate} ${o.status} for ${name} ${version}`);
    });

  program
    .command('readiness')
    .description('the promotion checklist; exit 0 when ready, 3 when not')
    .argument('<name>')
    .argument('<version>')
    .option('--target <target>', 'Production, Staging, or an alias name', 'Production')
    .action(async (name: string, version: string, o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const r = await client.json('GET', `/v1/models/${enc(name)}/versions/${enc(version)}/readiness?target=${enc(o.target)}`);
      if (json) printJson(r);
      else {
        out(`${name} ${version} -> ${r.target}: ${r.ready ? 'READY' : 'NOT READY'} (policy ${r.policy}${r.format ? `, format ${r.format}${r.inspected ? '' : ' (not inspected)'}` : ''})`);
        const rows = (r.requirements as { met: boolean; code: string; gate?: string; message: string }[]).map((q) => [q.met ? 'ok' : 'UNMET', q.gate ?? q.code, q.message]);
        for (const b of r.blockers ?? []) rows.push(['BLOCKED', '-', b]);
        if (rows.length) table(rows);
      }
      if (!r.ready) throw new CliError(`${name} ${version} is not ready for ${r.target}`, EXIT.notReady, json ? null : undefined);
    });

  program
    .command('request-approval')
    .description('ask approvers to review a version pending approval')
    .argument('<name>')
    .argument('<version>')
    .option('--approver <sub>', 'approver subject (repeatable)', collect)
    .action(async (name: string, version: string, o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const res = await client.json('POST', `/v1/models/${enc(name)}/versions/${enc(version)}/approval-links`, o.approver ? { approvers: o.approver } : {});
      if (json) printJson(res);
      else {
        // The response shape depends on how links are delivered (returned, mailed, outbox); say what came back.
        type Item = { approver?: string; sub?: string; displayName?: string; channels?: string[]; expiresAt?: string; delivery?: string };
        const items: Item[] = Array.isArray(res) ? res : (res.notified ?? res.links ?? res.requests ?? res.approvers ?? []);
        out(`approval requested for ${name} ${version}${items.length ? ':' : ''}`);
        for (const i of items) {
          const who = typeof i === 'string' ? i : [i.approver ?? i.sub, i.displayName ? `(${i.displayName})` : ''].filter(Boolean).join(' ');
          const how = typeof i === 'string' ? '' : [i.channels?.length ? `via ${i.channels.join(', ')}` : '', i.delivery, i.expiresAt ? `expires ${i.expiresAt}` : ''].filter(Boolean).join('  ');
          out(`  ${who}  ${how}`.trimEnd());
        }
      }
    });

  program
    .command('approve')
    .description('approve (or --reject) a version as the token’s subject; never your own registration')
    .argument('<name>')
    .argument('<version>')
    .option('--reject', 'reject instead (final)')
    .option('--comment <text>', 'comment recorded with the decision')
    .action(async (name: string, version: string, o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const res = await client.json('POST', `/v1/models/${enc(name)}/versions/${enc(version)}/approvals`, {
        decision: o.reject ? 'reject' : 'approve',
        ...(o.comment ? { comment: o.comment } : {}),
      });
      if (json) printJson(res);
      else out(`${o.reject ? 'rejected' : 'approved'} ${name} ${version}${res.approvalStatus ? ` (now ${res.approvalStatus})` : ''}`);
    });

  program
    .command('promote')
    .description('move a version to a stage (Production moves @prod); refused with exit 3 when requirements are unmet')
    .argument('<name>')
    .argument('<version>')
    .addOption(new Option('--stage <stage>', 'target stage').choices(['Staging', 'Production', 'Archived']).default('Production'))
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (name: string, version: string, o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const res = await client.json('POST', `/v1/models/${enc(name)}/versions/${enc(version)}/transitions`, { stage: o.stage, reason: o.reason });
      if (json) printJson(res);
      else out(`${name} ${version} is now in ${o.stage}`);
    });

  program
    .command('rollback')
    .description('put a version that served before back into Production')
    .argument('<name>')
    .requiredOption('--to <version>', 'version to roll back to')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (name: string, o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const res = await client.json('POST', `/v1/models/${enc(name)}/rollback`, { toVersion: o.to, reason: o.reason });
      if (json) printJson(res);
      else out(`${name} rolled back to ${o.to}`);
    });

  program
    .command('resolve')
    .description('resolve models:/NAME@alias, models:/NAME/VERSION or models:/NAME@^range to a version and artifact')
    .argument('<uri>', 'e.g. models:/churn@prod')
    .action(async (uri: string, _o, cmd: Command) => {
      const { client, json } = globals(cmd);
      const r = await client.json('GET', `/v1/resolve?uri=${enc(uri)}`);
      if (json) printJson(r);
      else out(`${uri} -> ${r.name ?? ''} ${r.version} ${r.artifact?.uri ?? ''} ${r.artifact?.digest ?? ''}`.replace(/\s+/g, ' ').trim());
    });

  program
    .command('watch')
    .description('follow registry events (SSE); reconnects and resumes from the last event id')
    .option('--model <name>', 'only this model')
    .option('--types <types>', 'comma-separated CloudEvent types')
    .option('--last-event-id <id>', 'resume after this event')
    .option('--limit <n>', 'stop after n events', positiveInt)
    .action(async (o, cmd: Command) => {
      const { client, json } = globals(cmd);
      await watch(client, { model: o.model, types: o.types, lastEventId: o.lastEventId, limit: o.limit, json: !!json });
    });

  const audit = program.command('audit').description('audit trail: verify, export, state, resolve');
  audit
    .command('verify')
    .description('verify the hash chain and checkpoint signatures on the server; with --export and --jwks, verify an NDJSON export offline')
    .option('--from <position>', 'first position', positiveInt)
    .option('--export <file>', 'NDJSON export to verify offline')
    .option('--jwks <file>', 'JWKS (from GET /v1/audit/keys) for offline verification')
    .action(async (o, cmd: Command) => {
      const { client, json } = globals(cmd);
      if (o.export || o.jwks) {
        if (!o.export || !o.jwks) throw new CliError('offline verification needs both --export <file> and --jwks <file>', EXIT.usage);
        process.exitCode = offlineVerify(o.export, o.jwks, !!json);
        return;
      }
      const r = await client.json('GET', `/v1/audit/verify${o.from ? `?from=${o.from}` : ''}`);
      if (json) printJson(r);
      else out(r.ok ? `OK: ${r.verified} events verified, last position ${r.lastVerifiedPosition}, ${r.checkpointsVerified} signed checkpoints valid (server ${client.base})` : `BROKEN: ${JSON.stringify(r.broken)}`);
      if (!r.ok) throw new CliError('audit chain verification failed', EXIT.unexpected, json ? null : undefined);
    });
  audit
    .command('export')
    .description('stream the audit export (NDJSON or CSV) to stdout or --out')
    .addOption(new Option('--format <format>').choices(['ndjson', 'csv']).default('ndjson'))
    .option('--model <name>')
    .option('--from <iso>', 'recorded at or after')
    .option('--to <iso>', 'recorded before')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (o, cmd: Command) => {
      const { client } = globals(cmd);
      const q = new URLSearchParams({ format: o.format, ...(o.model ? { model: o.model } : {}), ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) });
      const res = await client.raw('GET', `/v1/audit/export?${q}`);
      const sink = o.out ? createWriteStream(o.out) : process.stdout;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) sink.write(chunk);
      if (o.out) await new Promise<void>((r) => (sink as ReturnType<typeof createWriteStream>).end(r));
    });
  audit
    .command('state')
    .description("a model's state as it was at an instant or position (replayed from the event store)")
    .argument('<name>')
    .option('--at <iso>', 'instant')
    .option('--position <n>', 'event-store position', positiveInt)
    .action(async (name: string, o, cmd: Command) => {
      const { client } = globals(cmd);
      const q = new URLSearchParams({ ...(o.at ? { at: o.at } : {}), ...(o.position ? { position: String(o.position) } : {}) });
      printJson(await client.json('GET', `/v1/audit/models/${enc(name)}/state${q.size ? `?${q}` : ''}`));
    });
  audit
    .command('resolve')
    .description('which version a models:/ URI resolved to at an instant, with lineage, approvals and promotion')
    .argument('<uri>')
    .option('--at <iso>', 'instant (default now)')
    .action(async (uri: string, o, cmd: Command) => {
      const { client } = globals(cmd);
      printJson(await client.json('GET', `/v1/audit/resolve?uri=${enc(uri)}${o.at ? `&at=${enc(o.at)}` : ''}`));
    });

  program
    .command('token')
    .description("mint a development token with the server's dev key (DATA_DIR, same configuration as the server); refuses unknown scopes")
    .requiredOption('--sub <subject>', 'token subject (who acts)')
    .option('--scope <scopes>', 'space-separated scopes', 'registry:read')
    .option('--ttl <duration>', 'lifetime: 30m, 8h, 3600', '8h')
    .action(async (o, cmd: Command) => {
      const { json } = globals(cmd);
      const { mintDevToken } = await import('./token.ts');
      const r = await mintDevToken(process.env, o);
      for (const w of r.warnings) note(`warning: ${w}`);
      note(`token signed with ${r.keyFile}${r.created ? ' (created)' : ''} (DATA_DIR=${r.dataDir})`);
      if (json) printJson({ token: r.token, sub: o.sub, scope: o.scope, dataDir: r.dataDir, keyFile: r.keyFile });
      else out(r.token);
    });

  return withCommon(program);
}

// ---------------------------------------------------------------------------------------------
// register
// ---------------------------------------------------------------------------------------------
type Spec = { name: string; type: string; shape?: unknown[] };
const describeSpecs = (specs: unknown) =>
  Array.isArray(specs) ? (specs as Spec[]).map((s) => `${s.name}:${s.type}${s.shape ? `[${s.shape.map((d) => d ?? '?').join(',')}]` : ''}`).join(', ') : JSON.stringify(specs);

function printInspection(r: any): void {
  out(`format: ${r.format}`);
  out(`valid:  ${r.valid ? 'yes' : `NO — ${r.errors.join('; ')}`}`);
  out(`safe:   ${r.safe ? 'yes' : `NO — ${r.unsafeGlobals.length ? `imports ${r.unsafeGlobals.join(', ')}` : r.errors.join('; ')}`}`);
  for (const [k, v] of Object.entries(r.facts ?? {})) out(`${k}: ${v}`);
  if (r.signature) {
    out(`inputs:  ${describeSpecs(r.signature.inputs)}`);
    out(`outputs: ${describeSpecs(r.signature.outputs)}`);
  }
  if (r.globals?.length) out(`globals: ${r.globals.join(', ')}`);
  if (r.digest) out(`digest: ${r.digest}`);
}

async function registrationBody(name: string, artifact: string, o: any, json: boolean | undefined) {
  const insp = await import('../../../libs/artifact-inspection/src/index.ts');
  const local = existsSync(artifact);
  let digestValue: string;
  let format: string;
  let sizeBytes: number | undefined;
  let uri: string;
  let inspection: any;
  let signature: { inputs: unknown; outputs: unknown } | undefined;
  if (local) {
    const isDir = statSync(artifact).isDirectory();
    const report = await insp.inspectPath(artifact);
    if (!report.valid && report.safe) throw new CliError(`refusing to register an invalid ${report.format} artifact: ${report.errors.join('; ')}`, EXIT.invalid, report);
    if (isDir) {
      digestValue = report.digest!;
      sizeBytes = Number(report.facts.bytes);
    } else {
      sizeBytes = statSync(artifact).size;
      digestValue = await insp.fileDigest(artifact, progress(sizeBytes, json));
    }
    if (o.digest && o.digest !== digestValue) throw new CliError(`--digest ${o.digest} does not match the file (${digestValue})`, EXIT.invalid);
    if (o.format && o.format !== report.format) note(`note: --format ${o.format} ignored; the bytes say ${report.format}`);
    format = report.format;
    uri = o.artifactUri ?? pathToFileURL(resolve(artifact)).href;
    signature = report.signature;
    inspection = {
      format: report.format,
      valid: report.valid,
      safe: report.safe,
      ...(report.unsafeGlobals.length ? { unsafeGlobals: report.unsafeGlobals.slice(0, 200) } : {}),
      ...(report.errors.length ? { errors: report.errors.slice(0, 50).map((e: string) => e.slice(0, 1000)) } : {}),
      facts: report.facts,
      inspector: insp.INSPECTOR,
    };
  } else {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(artifact)) throw new CliError(`${artifact} is neither a local file or directory nor a URI`, EXIT.usage);
    if (!o.digest) throw new CliError('a remote URI needs --digest sha256:... (the CLI cannot hash what it cannot read)', EXIT.usage);
    if (!o.format) throw new CliError('a remote URI needs --format (the CLI cannot inspect what it cannot read)', EXIT.usage);
    digestValue = o.digest;
    format = o.format;
    uri = artifact;
  }
  let gitCommit: string | undefined = o.gitCommit;
  if (gitCommit === 'auto') {
    try {
      gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      throw new CliError("--git-commit auto: 'git rev-parse HEAD' failed (not a git checkout?)", EXIT.usage);
    }
  }
  let image: { ref: string; digest?: string } | undefined;
  if (o.image) {
    const at = o.image.lastIndexOf('@');
    image = at > 0 ? { ref: o.image.slice(0, at), digest: o.image.slice(at + 1) } : { ref: o.image };
    if (image.digest && !DIGEST.test(image.digest)) throw new CliError(`--image: '${image.digest}' is not sha256:<64 hex>`, EXIT.usage);
  }
  const lineage = {
    ...(o.runId ? { runId: o.runId } : {}),
    ...(gitCommit ? { gitCommit } : {}),
    ...(o.datasetHash ? { datasetHash: o.datasetHash } : {}),
    ...(image ? { image } : {}),
  };
  const request = {
    ...(o.version ? { version: o.version } : {}),
    ...(o.changeKind ? { changeKind: o.changeKind } : {}),
    artifact: { uri, digest: digestValue, format, ...(sizeBytes !== undefined ? { sizeBytes } : {}) },
    ...(signature ? { signature } : {}),
    ...(inspection ? { inspection } : {}),
    ...(o.metric ? { metrics: o.metric } : {}),
    ...(o.param ? { params: o.param } : {}),
    ...(Object.keys(lineage).length ? { lineage } : {}),
    ...(o.tag ? { tags: o.tag } : {}),
    ...(o.description ? { description: o.description } : {}),
    ...(o.modelCard ? { modelCard: readFileSync(o.modelCard, 'utf8') } : {}),
    ...(o.reason ? { reason: o.reason } : {}),
    ...(o.allowDuplicate ? { allowDuplicateArtifact: true } : {}),
  };
  return { request, inspection };
}

/** A progress bar on stderr for large files on a terminal. */
function progress(total: number, json: boolean | undefined): ((n: number) => void) | undefined {
  if (!process.stderr.isTTY || json || total < 64 * 1024 * 1024) return undefined;
  let done = 0;
  let last = -1;
  return (n) => {
    done += n;
    const pct = Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    const bar = '#'.repeat(Math.floor(pct / 4)).padEnd(25, '.');
    process.stderr.write(`\rsha256 [${bar}] ${pct}%${done >= total ? '\n' : ''}`);
  };
}

// ---------------------------------------------------------------------------------------------
// watch (SSE with resume)
// ---------------------------------------------------------------------------------------------
async function watch(client: Client, o: { model?: string; types?: string; lastEventId?: string; limit?: number; json: boolean }): Promise<void> {
  let lastId = o.lastEventId;
  let seen = 0;
  const q = new URLSearchParams({ ...(o.model ? { model: o.model } : {}), ...(o.types ? { types: o.types } : {}) });
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await client.raw('GET', `/v1/events/stream${q.size ? `?${q}` : ''}`, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
      });
      attempt = 0;
      let buf = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
          const fields: Record<string, string> = {};
          for (const line of block.split(/\r?\n/)) {
            if (line.startsWith(':')) continue;
            const i = line.indexOf(':');
            const k = i < 0 ? line : line.slice(0, i);
            const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            fields[k] = fields[k] !== undefined && k === 'data' ? `${fields[k]}\n${v}` : v;
          }
          if (fields.id) lastId = fields.id;
          if (fields.data === undefined) continue;
          let ev: any = fields.data;
          try {
            ev = JSON.parse(fields.data);
          } catch {
            /* not JSON: printed as is */
          }
          if (o.json) out(JSON.stringify(ev));
          else out(typeof ev === 'string' ? ev : `${ev.time ?? ''} ${ev.type ?? fields.event ?? ''} ${ev.subject ?? ''} ${ev.data?.version ?? ''} ${ev.data?.stage ?? ev.data?.alias ?? ''}`.replace(/\s+/g, ' ').trim());
          if (o.limit && ++seen >= o.limit) return;
        }
      }
    } catch (e) {
      if (e instanceof CliError && e.exitCode !== EXIT.unexpected) throw e;
      if (attempt >= 30) throw e;
    }
    note(`stream closed; reconnecting${lastId ? ` after event ${lastId}` : ''}`);
    await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** Math.min(attempt, 4), 15000)));
  }
}

// ---------------------------------------------------------------------------------------------
// offline audit verification: the server's own verifier (libs/audit), compiled once on demand
// ---------------------------------------------------------------------------------------------
function offlineVerify(file: string, jwks: string, json: boolean): number {
  const compiled = join(ROOT, 'dist/apps/registry-api/src/cli/audit.js');
  if (!existsSync(compiled)) {
    note('compiling the audit verifier once (npm run build)...');
    const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (b.status !== 0) throw new CliError('npm run build failed', EXIT.unexpected);
  }
  const r = spawnSync(process.execPath, [compiled, 'verify-export', resolve(file), '--jwks', resolve(jwks), ...(json ? ['--json'] : [])], { stdio: 'inherit' });
  return r.status === 0 ? EXIT.ok : r.status === 2 ? EXIT.usage : EXIT.unexpected;
}

// ---------------------------------------------------------------------------------------------
// entry point
// ---------------------------------------------------------------------------------------------
export async function run(argv: string[]): Promise<number> {
  try {
    loadEnvFile();
  } catch (e) {
    note(`model-ledger: ${(e as Error).message}`);
    return EXIT.usage;
  }
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof CliError) {
      if (json && e.body !== undefined && e.body !== null) printJson({ error: e.message, exitCode: e.exitCode, ...(typeof e.body === 'object' ? { problem: e.body } : {}) });
      note(`model-ledger: ${e.message}`);
      return e.exitCode;
    }
    note(`model-ledger: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.unexpected;
  }
}
