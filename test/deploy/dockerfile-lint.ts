/**
 * A small Dockerfile linter for the rules this project holds its image to (no Docker engine or
 * hadolint binary is available where the tests run):
 *  - multi-stage: at least two FROM;
 *  - every FROM names an exact version (no `latest`, no bare name) and either a digest or a
 *    comment right above it saying why the digest is not written;
 *  - the final stage runs as a non-root USER (a name other than root or a uid other than 0);
 *  - no test code is copied into any stage;
 *  - the final stage holds no dev dependencies: node_modules come only from a stage that
 *    installed with `--omit=dev` (or pruned with `npm prune --omit=dev`), and it does not run a
 *    plain `npm ci`/`npm install` itself.
 */
export interface Stage {
  name?: string;
  image: string;
  line: number;
  instructions: { op: string; args: string; line: number }[];
  commentAbove: string;
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i];
    const start = i;
    while (raw.trimEnd().endsWith('\\') && i + 1 < lines.length) raw = raw.trimEnd().slice(0, -1) + ' ' + lines[++i];
    const t = raw.trim();
    if (t === '') continue;
    if (t.startsWith('#')) {
      comments.push(t);
      continue;
    }
    const m = /^(\w+)\s+(.*)$/.exec(t);
    if (!m) continue;
    const op = m[1].toUpperCase();
    const args = m[2];
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      stages.push({ image: f[1], name: f[2], line: start + 1, instructions: [], commentAbove: comments.join('\n') });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push({ op, args, line: start + 1 });
    }
    comments = [];
  }
  return stages;
}

const TEST_PATH = /(^|[\s/])(test|tests|__tests__)(\/|\s|$)|\.spec\.|\.test\./;

export function lintDockerfile(text: string): string[] {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length < 2) problems.push(`multi-stage: expected at least 2 FROM, found ${stages.length}`);
  const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
  for (const s of stages) {
    if (stageNames.has(s.image)) continue; // FROM an earlier stage
    const [ref, digest] = s.image.split('@');
    const tag = ref.includes(':') ? ref.slice(ref.lastIndexOf(':') + 1) : '';
    if (!tag) problems.push(`line ${s.line}: ${s.image} has no tag (implicitly latest)`);
    else if (/latest/i.test(tag)) problems.push(`line ${s.line}: ${s.image} uses a latest tag`);
    else if (!/\d+\.\d+\.\d+/.test(tag)) problems.push(`line ${s.line}: ${s.image} is not pinned to an exact version (x.y.z)`);
    if (!digest && !/digest/i.test(s.commentAbove)) problems.push(`line ${s.line}: ${s.image} has no @sha256 digest and no comment saying why`);
    if (digest && !/^sha256:[0-9a-f]{64}$/.test(digest)) problems.push(`line ${s.line}: malformed digest ${digest}`);
  }
  for (const s of stages) {
    for (const ins of s.instructions) {
      if ((ins.op === 'COPY' || ins.op === 'ADD') && TEST_PATH.test(ins.args)) problems.push(`line ${ins.line}: copies test code (${ins.args})`);
    }
  }
  const last = stages[stages.length - 1];
  if (last) {
    const users = last.instructions.filter((i) => i.op === 'USER');
    const user = users[users.length - 1]?.args.trim().split(':')[0];
    if (!user) problems.push('final stage: no USER (runs as root)');
    else if (user === 'root' || user === '0') problems.push(`final stage: USER ${user} is root`);
    const installsProdOnly = (s: Stage) =>
      s.instructions.some((i) => i.op === 'RUN' && /npm\s+(ci|install|prune)\b[^&;|]*--omit[= ]dev|npm\s+(ci|install|prune)\b[^&;|]*--production/.test(i.args));
    const plainInstall = (s: Stage) =>
      s.instructions.some((i) => i.op === 'RUN' && /npm\s+(ci|install)\b/.test(i.args) && !/--omit[= ]dev|--production/.test(i.args));
    if (plainInstall(last)) problems.push('final stage: runs npm ci/install without --omit=dev');
    for (const ins of last.instructions) {
      if (ins.op !== 'COPY' || !/node_modules/.test(ins.args)) continue;
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      const source = stages.find((s) => s.name === from);
      if (!from) problems.push(`line ${ins.line}: copies node_modules from the build context`);
      else if (!source || !installsProdOnly(source) || (plainInstall(source) && !source.instructions.some((i) => /npm\s+prune\b.*--omit[= ]dev/.test(i.args))))
        problems.push(`line ${ins.line}: node_modules from stage ${from}, which installs dev dependencies`);
    }
  }
  return problems;
}
