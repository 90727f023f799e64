import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

/**
 * Every manifest under deploy/k8s/ is validated offline against the Kubernetes OpenAPI schemas
 * compiled into the kubernetes-models package (types, required fields, enums, formats). Those
 * schemas allow unknown fields (as the API server's non-strict decoding does), so the security
 * settings that matter are also asserted field by field below: a misspelt field fails there.
 */
const dir = new URL('../../deploy/k8s/', import.meta.url);
type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };
const manifests: { file: string; doc: Manifest }[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      return { file, doc: d.toJS() as Manifest };
    }),
  );

async function modelClass(apiVersion: string, kind: string) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
  const mod = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
  return mod[kind];
}

async function validate(doc: Manifest): Promise<void> {
  const Model = await modelClass(doc.apiVersion, doc.kind);
  new Model(doc).validate();
}

const byKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const deployment = (name: string) => byKind('Deployment').find((d) => d.metadata.name === name)!;

describe('deploy/k8s manifests', () => {
  test('there are manifests for every part the deploy needs', () => {
    const kinds = manifests.map((m) => `${m.doc.kind}/${m.doc.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'ConfigMap/model-ledger-config',
        'Deployment/model-ledger-api',
        'Deployment/model-ledger-relay',
        'Service/model-ledger-api',
        'PodDisruptionBudget/model-ledger-api',
        'PodDisruptionBudget/model-ledger-relay',
        'NetworkPolicy/model-ledger-default-deny',
        'Job/model-ledger-migrate',
      ]),
    );
  });

  test.each(manifests.map((m) => [`${m.file}: ${m.doc.kind}/${m.doc.metadata.name}`, m.doc] as const))('%s is valid against the Kubernetes schema', async (_name, doc) => {
    await expect(validate(doc)).resolves.toBeUndefined();
  });

  test('the schema check rejects an invalid manifest (wrong type, missing required field)', async () => {
    const api = structuredClone(deployment('model-ledger-api'));
    api.spec.replicas = 'three';
    await expect(validate(api)).rejects.toThrow();
    const noSelector = structuredClone(deployment('model-ledger-api'));
    delete noSelector.spec.selector;
    await expect(validate(noSelector)).rejects.toThrow();
  });

  test.each(['model-ledger-api', 'model-ledger-relay'])('%s: non-root, read-only root filesystem, all capabilities dropped, resources, probes', (name) => {
    const d = deployment(name);
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    for (const c of pod.containers) {
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(c.image).not.toMatch(/:latest$|^[^:]+$/);
    }
    // Selector and pod labels agree, or the Deployment manages no pods.
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
  });

  test('the API takes signing keys from a Secret volume and the database URL from a Secret, and leaves the relay to its own Deployment', () => {
    const pod = deployment('model-ledger-api').spec.template.spec;
    const c = pod.containers[0];
    expect(pod.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'keys', secret: expect.objectContaining({ secretName: 'model-ledger-keys' }) })]));
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'keys', mountPath: '/etc/model-ledger/keys', readOnly: true }]));
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'model-ledger-db', key: 'url' } } }, { name: 'RELAY_ENABLED', value: 'false' }]));
    // Writable paths are volumes only (the root filesystem is read-only).
    const writable = c.volumeMounts.filter((m: { readOnly?: boolean }) => !m.readOnly).map((m: { mountPath: string }) => m.mountPath).sort();
    expect(writable).toEqual(['/tmp', '/var/lib/model-ledger']);
    const config = byKind('ConfigMap')[0].data!;
    expect(config.DATA_DIR).toBe('/var/lib/model-ledger');
    expect(config.APPROVAL_LINK_KEY_FILE).toMatch(/^\/etc\/model-ledger\/keys\//);
    expect(config.AUDIT_SIGNING_KEY_FILE).toMatch(/^\/etc\/model-ledger\/keys\//);
    // No secret material in the ConfigMap.
    expect(Object.keys(config).filter((k) => /DATABASE_URL|PASSWORD|SECRET|PRIVATE/.test(k))).toEqual([]);
  });

  test('the relay runs two replicas (one publishes under the lease) and the API scales to several', () => {
    expect(deployment('model-ledger-relay').spec.replicas).toBe(2);
    expect(deployment('model-ledger-relay').spec.template.spec.containers[0].command).toEqual(['node', 'dist/apps/relay/src/main.js']);
    expect(deployment('model-ledger-api').spec.replicas).toBeGreaterThan(1);
  });

  test('PodDisruptionBudgets and NetworkPolicies select the pods they are meant for', () => {
    const podLabels = byKind('Deployment').map((d) => d.spec.template.metadata.labels as Record<string, string>);
    const selects = (sel: Record<string, string>) => podLabels.some((l) => Object.entries(sel).every(([k, v]) => l[k] === v));
    for (const pdb of byKind('PodDisruptionBudget')) expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    for (const np of byKind('NetworkPolicy')) expect(selects(np.spec.podSelector.matchLabels)).toBe(true);
    const deny = byKind('NetworkPolicy').find((n) => n.metadata.name === 'model-ledger-default-deny')!;
    expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(deny.spec.ingress).toBeUndefined();
    expect(deny.spec.egress).toBeUndefined();
  });

  test('the migration Job runs the migrate CLI once, non-root, read-only', () => {
    const job = byKind('Job')[0];
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].command.join(' ')).toMatch(/migrate/);
    expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });
});
