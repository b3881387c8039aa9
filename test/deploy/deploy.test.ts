/**
 * deploy/: the Kubernetes manifests and the Dockerfile, checked offline (no cluster, no
 * docker daemon). Three layers for the manifests:
 * 1. kubernetes-models: each document against the Kubernetes OpenAPI schema (types,
 *    required fields, enums, formats), as its model classes validate;
 * 2. TypeScript over the same package's types: an object literal may only have known
 *    properties, so a misspelt field anywhere (`hostPid`) is an error, which the schema of
 *    layer 1 (no additionalProperties) lets through;
 * 3. what this agent needs: hostPID, hostNetwork, exactly the documented capabilities,
 *    mounts of declared volumes, $(VAR)s that the ConfigMap defines, the image of this version.
 * Each checker is also shown a broken input, so a checker that accepts everything fails here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const K8S_DIR = join(ROOT, 'deploy', 'kubernetes');
const DOCKERFILE = join(ROOT, 'deploy', 'Dockerfile');
const APP_DIR = '/opt/packet-agent';

/** The capabilities the manifests may add; daemonset.yaml says why each is needed. */
const CAPABILITIES = ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'SYS_PTRACE'];
/** The host paths a pod may mount, and whether the mount must be read-only. */
const HOST_PATHS: Record<string, boolean> = { '/var/lib/packet-agent': false, '/run/libvirt': true };
/** README "Performance": peak RSS up to 145 MB, target < 150 MB. */
const PEAK_RSS_BYTES = 150e6;
const COMPILER_PACKAGES = /^(g\+\+.*|gcc.*|cpp.*|clang.*|make|cmake|build-essential|python3.*|libpcap-dev|libc6-dev|.*-dev)$/;

type Obj = Record<string, unknown>;
interface Doc { file: string; index: number; obj: Obj }

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Pod': Pod,
  'apps/v1/DaemonSet': DaemonSet,
};
/** Type name and module of the kubernetes-models interface of each kind. */
const TYPES: Record<string, [string, string]> = {
  'v1/Namespace': ['INamespace', 'kubernetes-models/v1/Namespace'],
  'v1/ConfigMap': ['IConfigMap', 'kubernetes-models/v1/ConfigMap'],
  'v1/Pod': ['IPod', 'kubernetes-models/v1/Pod'],
  'apps/v1/DaemonSet': ['IDaemonSet', 'kubernetes-models/apps/v1/DaemonSet'],
};

const key = (o: Obj): string => `${String(o['apiVersion'])}/${String(o['kind'])}`;
const where = (d: Doc): string => `${d.file} document ${d.index + 1} (${key(d.obj)})`;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

function parseYaml(file: string, text: string): Doc[] {
  return parseAllDocuments(text, { strict: true, uniqueKeys: true }).map((d, index) => {
    const problems = [...d.errors, ...d.warnings].map((e) => e.message);
    assert.deepEqual(problems, [], `${file} document ${index + 1} does not parse`);
    const value = d.toJS() as unknown;
    assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${file} document ${index + 1} is not a mapping`);
    return { file, index, obj: value as Obj };
  });
}

function loadManifests(): Doc[] {
  const files = readdirSync(K8S_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
  assert.ok(files.includes('daemonset.yaml'), 'deploy/kubernetes/daemonset.yaml is missing');
  return files.flatMap((f) => parseYaml(`deploy/kubernetes/${f}`, readFileSync(join(K8S_DIR, f), 'utf8')));
}

/** Layer 1: the model class of the kind validates against the OpenAPI schema; throws otherwise. */
function schemaCheck(d: Doc): void {
  const Model = MODELS[key(d.obj)];
  if (!Model) throw new Error(`${where(d)}: a kind this test does not know; add its model to MODELS and TYPES`);
  try {
    new Model(d.obj as never).validate();
  } catch (e) {
    throw new Error(`${where(d)}: ${(e as Error).message}`);
  }
}

/** Layer 2: every document as a typed object literal; returns TypeScript's errors, one line each. */
function typeCheck(docs: Doc[]): string[] {
  const file = join(ROOT, 'test', 'deploy', '__manifests__.ts');
  const used = [...new Set(docs.map((d) => key(d.obj)))].filter((k) => TYPES[k]);
  const lines = used.map((k) => `import type { ${TYPES[k]![0]} } from '${TYPES[k]![1]}';`);
  const first = lines.length;
  for (const [i, d] of docs.entries()) {
    const t = TYPES[key(d.obj)];
    lines.push(`export const doc${i}: ${t ? t[0] : 'never'} = ${JSON.stringify(d.obj)};`);
  }
  const text = lines.join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    strict: true, noEmit: true, skipLibCheck: true, types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, text, lang) : getSourceFile.call(host, name, lang, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? text : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diag) => {
    const message = ts.flattenDiagnosticMessageText(diag.messageText, ' ');
    if (diag.file?.fileName !== file || diag.start === undefined) return message;
    const line = diag.file.getLineAndCharacterOfPosition(diag.start).line;
    return line >= first ? `${where(docs[line - first]!)}: ${message}` : message;
  });
}

function quantityBytes(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(String(q));
  assert.ok(m, `memory quantity ${String(q)} not understood by this test`);
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? unit[m[2]]! : 1);
}

/** The pod spec of a Pod or of a workload's template. */
function podSpecOf(o: Obj): Obj | undefined {
  if (o['kind'] === 'Pod') return obj(o['spec']);
  const template = obj(obj(o['spec'])['template']);
  return 'spec' in template ? obj(template['spec']) : undefined;
}

/** Layer 3: what the agent needs of a pod, as a list of problems. */
function podProblems(d: Doc, spec: Obj, configMaps: Map<string, Obj>, version: string): string[] {
  const out: string[] = [];
  const p = (s: string): void => void out.push(`${where(d)}: ${s}`);
  if (spec['hostPID'] !== true) p('hostPID must be true (container processes are found in the host /proc)');
  if (spec['hostNetwork'] !== true) p('hostNetwork must be true (the node\'s interfaces)');
  if (spec['dnsPolicy'] !== 'ClusterFirstWithHostNet') p('dnsPolicy must be ClusterFirstWithHostNet with hostNetwork');
  if (!arr(spec['tolerations']).some((t) => t['operator'] === 'Exists' && t['key'] === undefined)) p('must tolerate every taint (operator: Exists, no key)');
  const volumes = new Map(arr(spec['volumes']).map((v) => [String(v['name']), v]));
  const containers = [...arr(spec['initContainers']), ...arr(spec['containers'])];
  if (containers.length === 0) p('no containers');
  for (const c of containers) {
    const name = `container ${String(c['name'])}`;
    const image = String(c['image'] ?? '');
    if (image !== `packet-agent:${version}`) p(`${name}: image ${image} is not packet-agent:${version} (package.json version, as deploy/Dockerfile tags it)`);
    const sc = obj(c['securityContext']);
    const caps = obj(sc['capabilities']);
    if (JSON.stringify(caps['drop']) !== '["ALL"]') p(`${name}: capabilities.drop must be exactly [ALL]`);
    const add = Array.isArray(caps['add']) ? [...(caps['add'] as string[])].sort() : [];
    if (JSON.stringify(add) !== JSON.stringify(CAPABILITIES)) p(`${name}: capabilities.add is [${add.join(', ')}], documented: [${CAPABILITIES.join(', ')}]`);
    if (sc['privileged'] === true) p(`${name}: privileged`);
    if (sc['readOnlyRootFilesystem'] !== true) p(`${name}: readOnlyRootFilesystem must be true`);
    // The API server refuses this pair; the schema does not know it.
    if (sc['allowPrivilegeEscalation'] === false && add.includes('SYS_ADMIN')) p(`${name}: allowPrivilegeEscalation false with SYS_ADMIN is refused by the API server`);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const pr = obj(c[probe]);
      if ('httpGet' in pr || 'tcpSocket' in pr || 'grpc' in pr) p(`${name}: ${probe} on a port, but the agent serves none`);
    }
    const memLimit = obj(obj(c['resources'])['limits'])['memory'];
    const memRequest = obj(obj(c['resources'])['requests'])['memory'];
    if (memLimit === undefined || memRequest === undefined) p(`${name}: memory request and limit are needed`);
    else if (quantityBytes(memLimit) < PEAK_RSS_BYTES || quantityBytes(memRequest) > quantityBytes(memLimit)) p(`${name}: memory limit ${String(memLimit)} below the agent's peak RSS (150 MB) or below the request`);
    const mountPaths = new Set<string>();
    for (const m of arr(c['volumeMounts'])) {
      const v = volumes.get(String(m['name']));
      if (!v) { p(`${name}: mounts undeclared volume ${String(m['name'])}`); continue; }
      if (mountPaths.has(String(m['mountPath']))) p(`${name}: two mounts at ${String(m['mountPath'])}`);
      mountPaths.add(String(m['mountPath']));
      const hostPath = obj(v['hostPath'])['path'];
      if (hostPath !== undefined) {
        if (!(String(hostPath) in HOST_PATHS)) p(`${name}: host path ${String(hostPath)} is not one of ${Object.keys(HOST_PATHS).join(', ')}`);
        else if (HOST_PATHS[String(hostPath)] && m['readOnly'] !== true) p(`${name}: host path ${String(hostPath)} must be mounted read-only`);
      }
    }
    // $(VAR) in args and command must come from env or from a ConfigMap of deploy/kubernetes that has the key.
    const defined = new Set(arr(c['env']).map((e) => String(e['name'])));
    for (const ef of arr(c['envFrom'])) {
      const ref = obj(ef['configMapRef']);
      const cm = configMaps.get(String(ref['name']));
      if (!cm) p(`${name}: envFrom names ConfigMap ${String(ref['name'])}, which deploy/kubernetes does not define`);
      else for (const k of Object.keys(obj(cm['data']))) defined.add(k);
    }
    for (const a of [...(c['command'] as string[] ?? []), ...(c['args'] as string[] ?? [])]) {
      for (const [, v] of String(a).matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) if (!defined.has(v!)) p(`${name}: $(${v}) is not defined`);
    }
  }
  for (const v of volumes.keys()) if (!containers.some((c) => arr(c['volumeMounts']).some((m) => m['name'] === v))) p(`volume ${v} is mounted nowhere`);
  return out;
}

function manifestProblems(docs: Doc[]): string[] {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const namespaces = new Set(docs.filter((d) => d.obj['kind'] === 'Namespace').map((d) => String(obj(d.obj['metadata'])['name'])));
  const configMaps = new Map(docs.filter((d) => d.obj['kind'] === 'ConfigMap').map((d) => [String(obj(d.obj['metadata'])['name']), d.obj]));
  const out: string[] = [];
  for (const d of docs) {
    const ns = obj(d.obj['metadata'])['namespace'];
    if (d.obj['kind'] !== 'Namespace' && !namespaces.has(String(ns))) out.push(`${where(d)}: namespace ${String(ns)} is not declared in deploy/kubernetes`);
    if (d.obj['kind'] === 'DaemonSet') {
      const selector = obj(obj(obj(d.obj['spec'])['selector'])['matchLabels']);
      const labels = obj(obj(obj(obj(d.obj['spec'])['template'])['metadata'])['labels']);
      for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) out.push(`${where(d)}: selector ${k}=${String(v)} does not match the template's labels`);
    }
    const spec = podSpecOf(d.obj);
    if (spec) out.push(...podProblems(d, spec, configMaps, version));
  }
  return out;
}

describe('deploy/kubernetes', () => {
  // Loaded inside the tests, so that a file that does not parse fails a test, not the suite's set-up.
  let loaded: Doc[] | undefined;
  const manifests = (): Doc[] => (loaded ??= loadManifests());

  test('every YAML document parses and is a kind this test knows', () => {
    assert.ok(manifests().some((d) => d.obj['kind'] === 'DaemonSet'), 'no DaemonSet');
    for (const d of manifests()) assert.ok(MODELS[key(d.obj)], `${where(d)}: unknown kind`);
  });

  test('every document is valid against the Kubernetes OpenAPI schema (kubernetes-models)', () => {
    for (const d of manifests()) schemaCheck(d);
  });

  test('the schema check refuses a wrong type and a missing required field', () => {
    const ds = structuredClone(manifests().find((d) => d.obj['kind'] === 'DaemonSet')!);
    obj(podSpecOf(ds.obj))['hostPID'] = 'yes';
    assert.throws(() => schemaCheck(ds), /hostPID must be boolean/);
    delete obj(ds.obj['spec'])['selector'];
    obj(podSpecOf(ds.obj))['hostPID'] = true;
    assert.throws(() => schemaCheck(ds), /selector/);
  });

  test('no document has a field that Kubernetes does not define (TypeScript over the same models)', () => {
    assert.deepEqual(typeCheck(manifests()), []);
  });

  test('the field check finds a misspelt field deep in a pod template', () => {
    // TypeScript reports the first unknown field of each document: one typo per document.
    const base = manifests().find((d) => d.obj['kind'] === 'DaemonSet')!;
    const a = structuredClone(base);
    const specA = obj(podSpecOf(a.obj));
    specA['hostPid'] = specA['hostPID'];
    const b = structuredClone(base);
    obj(arr(obj(podSpecOf(b.obj))['containers'])[0]!['securityContext'])['readOnlyRootFileSystem'] = true;
    const errors = typeCheck([a, b]);
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors[0]!, /document 3 .*'"?hostPid"?' does not exist/);
    assert.match(errors[1]!, /'"?readOnlyRootFileSystem"?' does not exist/);
  });

  test('pods: host PID and network, exactly the documented capabilities, declared volumes, defined variables, this version\'s image', () => {
    assert.deepEqual(manifestProblems(manifests()), []);
  });

  test('the pod checks find each kind of mistake', () => {
    const ds = structuredClone(manifests().find((d) => d.obj['kind'] === 'DaemonSet')!);
    const spec = obj(podSpecOf(ds.obj));
    const c = arr(spec['containers'])[0]!;
    delete spec['hostPID'];
    obj(obj(c['securityContext'])['capabilities'])['add'] = [...CAPABILITIES, 'SYS_MODULE'];
    obj(c['securityContext'])['allowPrivilegeEscalation'] = false;
    c['image'] = 'packet-agent:latest';
    c['args'] = ['-r', '$(NOT_IN_THE_CONFIGMAP)'];
    arr(c['volumeMounts'])[0]!['name'] = 'undeclared';
    obj(obj(c['resources'])['limits'])['memory'] = '64Mi';
    const others = manifests().filter((d) => d.obj['kind'] !== 'DaemonSet');
    const problems = manifestProblems([...others, ds]).join('\n');
    for (const expected of [/hostPID must be true/, /capabilities.add is .*SYS_MODULE/, /allowPrivilegeEscalation false with SYS_ADMIN/, /image packet-agent:latest/,
      /\$\(NOT_IN_THE_CONFIGMAP\) is not defined/, /mounts undeclared volume undeclared/, /memory limit 64Mi below/]) {
      assert.match(problems, expected);
    }
  });
});

// ---- deploy/Dockerfile ----

interface Instruction { op: string; args: string; line: number }
interface Stage { from: string; name?: string; instructions: Instruction[] }

/** Instructions with their continuation lines joined, grouped by stage; comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let start = 0;
  for (const [i, raw] of text.split('\n').entries()) {
    if (pending === '' && /^\s*(#|$)/.test(raw)) continue;
    if (pending === '') start = i + 1;
    if (/^\s*#/.test(raw)) continue; // a comment inside a continued instruction
    pending += raw.replace(/\\\s*$/, ' ');
    if (/\\\s*$/.test(raw)) continue;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(pending);
    assert.ok(m, `Dockerfile line ${start}: not an instruction`);
    pending = '';
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(f, `Dockerfile line ${start}: FROM ${args}`);
      stages.push({ from: f[1]!, ...(f[2] ? { name: f[2] } : {}), instructions: [] });
    } else {
      assert.ok(stages.length > 0, `Dockerfile line ${start}: ${op} before FROM`);
      stages.at(-1)!.instructions.push({ op, args, line: start });
    }
  }
  return stages;
}

/** Package names given to `apt-get install` in a stage's RUN instructions. */
function aptPackages(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.op === 'RUN').flatMap((i) =>
    [...i.args.matchAll(/apt-get\s+install\s+([^&;|]*)/g)].flatMap((m) => m[1]!.split(/\s+/).filter((w) => w && !w.startsWith('-'))));
}

interface Copy { from?: string; sources: string[]; dest: string; line: number }
function copies(stage: Stage): Copy[] {
  return stage.instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD').map((i) => {
    let words = i.args.split(/\s+/);
    let from: string | undefined;
    const flags = words.filter((w) => w.startsWith('--'));
    for (const f of flags) if (f.startsWith('--from=')) from = f.slice('--from='.length);
    words = words.filter((w) => !w.startsWith('--'));
    assert.ok(i.op === 'COPY', `Dockerfile line ${i.line}: use COPY, not ADD`);
    assert.ok(words.length >= 2 && !i.args.includes('['), `Dockerfile line ${i.line}: COPY in the plain form, at least one source`);
    return { ...(from ? { from } : {}), sources: words.slice(0, -1), dest: words.at(-1)!, line: i.line };
  });
}

/** Paths outside dist/ that the compiled lib/ and cli/ open relative to themselves, relative to the package root. */
function filesReadBesideDist(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const rel = `${dir}/${name}`;
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.js')) {
        for (const [, p] of readFileSync(join(ROOT, rel), 'utf8').matchAll(/new URL\('([^']+)', import\.meta\.url\)/g)) {
          found.push(posix.normalize(posix.join(posix.dirname(rel), p!)));
        }
      }
    }
  };
  walk('dist/lib');
  walk('dist/cli');
  return found.filter((p) => !p.startsWith('dist/'));
}

/** What scripts/bundle.sh reads besides dist/ (npm run build) and the addon (npm ci): the build stage must copy each. */
const BUNDLE_INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'logconfig.json', 'README.md', 'lib', 'cli', 'man', 'deploy', 'scripts', 'fixtures/sample.pcap'];

/** Files the compiled code reads beside dist/ that scripts/bundle.sh does not name (so the bundle, and the image, would lack them). */
function bundleProblems(script: string): string[] {
  return filesReadBesideDist().filter((p) => !script.includes(p)).map((p) => `${p} is read by the compiled code but scripts/bundle.sh does not put it in the bundle`);
}

/** The shared libraries `file` needs by ldd, by name (libpcap.so.0.8, ...). */
function sharedLibraries(file: string): string[] {
  return [...execFileSync('ldd', [file], { encoding: 'utf8' }).matchAll(/^\s*(\S+\.so[.\d]*)\s/gm)].map((m) => m[1]!);
}

/** Every problem of the Dockerfile against the repository after `npm run build`: the image is the unpacked bundle. */
function dockerfileProblems(text: string): string[] {
  const out: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length < 2) return ['a multi-stage build is expected'];
  const runtime = stages.at(-1)!;
  const build = stages.slice(0, -1);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; bin: Record<string, string>; scripts: Record<string, string> };
  const major = /(\d+)/.exec(pkg.engines.node)![1];
  // The bundle carries the build stage's node and addon: the runtime stage is the same Debian (glibc).
  for (const s of build) if (!new RegExp(`^node:${major}-bookworm(-slim)?$`).test(s.from) && !build.some((b) => b.name === s.from)) out.push(`FROM ${s.from}: expected node:${major}-bookworm(-slim), as package.json engines.node`);
  if (runtime.from !== 'debian:bookworm-slim') out.push(`the runtime stage should be debian:bookworm-slim (the Debian of the build stage's node), not ${runtime.from}`);
  const runtimePkgs = aptPackages(runtime);
  const compilers = runtimePkgs.filter((p) => COMPILER_PACKAGES.test(p));
  if (compilers.length) out.push(`the runtime stage installs build tools: ${compilers.join(' ')}`);
  if (runtimePkgs.some((p) => /^(nodejs|npm)$/.test(p))) out.push('the runtime stage installs nodejs or npm: the bundle brings its node');
  // libpcap0.8 exactly while the addon links libpcap.so.0.8 (until it links libpcap statically).
  const addons = ['build/Release/packet_io.node', ...(existsSync(join(ROOT, 'prebuilds', 'linux-x64')) ? readdirSync(join(ROOT, 'prebuilds', 'linux-x64')).filter((f) => f.endsWith('.node')).map((f) => `prebuilds/linux-x64/${f}`) : [])]
    .filter((f) => existsSync(join(ROOT, f)));
  const dynamicPcap = addons.filter((f) => sharedLibraries(join(ROOT, f)).includes('libpcap.so.0.8'));
  if (dynamicPcap.length && !runtimePkgs.includes('libpcap0.8')) out.push(`the runtime stage does not install libpcap0.8 (${dynamicPcap.join(', ')} needs libpcap.so.0.8, ldd)`);
  if (!dynamicPcap.length && runtimePkgs.includes('libpcap0.8')) out.push('the runtime stage installs libpcap0.8, which the addon no longer needs (ldd)');
  // The build stage installs what .ci/run installs to build the addon.
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  const buildPkgs = build.flatMap(aptPackages);
  for (const p of ['g++', 'make', 'python3']) {
    if (!buildPkgs.includes(p)) out.push(`the build stage does not install ${p}`);
    if (!new RegExp(`apt-get install[^\\n]*\\s${p.replace(/\+/g, '\\+')}(\\s|$)`).test(ci)) out.push(`.ci/run no longer installs ${p}: check the build stage`);
  }
  const runs = build.flatMap((s) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)).join(' && ');
  const order = ['npm ci', 'npm run bundle', `-C ${APP_DIR} --strip-components=1`].map((c) => runs.indexOf(c));
  if (order.some((i) => i < 0) || order.some((v, i) => i > 0 && v < order[i - 1]!)) out.push(`the build stage must run npm ci, then npm run bundle, then unpack the bundle with tar -C ${APP_DIR} --strip-components=1`);
  if (!/node-gyp-build/.test(pkg.scripts['install'] ?? '') || !/scripts\/bundle\.sh/.test(pkg.scripts['bundle'] ?? '')) out.push('package.json no longer builds the addon in `install` or the bundle in `bundle`');
  // Build-stage COPY sources come from the context: they must exist, not be ignored, and hold what the bundle reads.
  const ignoreFile = join(ROOT, 'deploy', 'Dockerfile.dockerignore');
  const ignored = existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.trim()) : [];
  const copied: string[] = [];
  for (const s of build) {
    for (const c of copies(s)) {
      if (c.from) continue;
      for (const src of c.sources) {
        if (!existsSync(join(ROOT, src))) out.push(`COPY line ${c.line}: ${src} is not in the repository`);
        if (ignored.some((g) => src === g || src.startsWith(`${g}/`))) out.push(`COPY line ${c.line}: ${src} is excluded by the .dockerignore`);
        copied.push(src);
      }
    }
  }
  for (const input of BUNDLE_INPUTS) if (!copied.some((c) => input === c || input.startsWith(`${c}/`))) out.push(`the build stage does not copy ${input}, which npm run bundle reads`);
  // The runtime stage is the unpacked bundle, copied whole from the build stage to the same place.
  const bundleCopy = copies(runtime).filter((c) => c.from && build.some((b) => b.name === c.from) && c.sources.length === 1 && c.sources[0] === APP_DIR && c.dest.replace(/\/$/, '') === APP_DIR);
  if (bundleCopy.length !== 1) out.push(`the runtime stage must COPY --from=<build stage> ${APP_DIR} ${APP_DIR} (the unpacked bundle)`);
  for (const c of copies(runtime)) if (!c.from) out.push(`COPY line ${c.line}: the runtime stage copies from the context, not from the bundle`);
  // kubectl exec (README) runs `node /opt/packet-agent/dist/cli/pktminerg.js` or a command by name.
  const runtimeRuns = runtime.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
  if (!runtimeRuns.includes(`ln -s ${APP_DIR}/bin/* ${APP_DIR}/node /usr/local/bin/`)) out.push(`the runtime stage must put the commands and node on PATH: ln -s ${APP_DIR}/bin/* ${APP_DIR}/node /usr/local/bin/`);
  const entrypoints = runtime.instructions.filter((i) => i.op === 'ENTRYPOINT');
  const expected = JSON.stringify([posix.join(APP_DIR, 'bin', 'pktminerg')]);
  if (entrypoints.length !== 1 || JSON.stringify(JSON.parse(entrypoints[0]!.args)) !== expected) out.push(`ENTRYPOINT must be ${expected} (the bundle's launcher)`);
  return out;
}

describe('deploy/Dockerfile', () => {
  const dockerfile = (): string => readFileSync(DOCKERFILE, 'utf8');
  const bundleScript = (): string => readFileSync(join(ROOT, 'scripts', 'bundle.sh'), 'utf8');

  test('the build stage copies what npm run bundle reads and unpacks the bundle; the runtime stage is Debian + the bundle, no compiler; libpcap0.8 as ldd says', () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'pktminerg.js')), 'npm test builds dist/ first');
    assert.deepEqual(dockerfileProblems(dockerfile()), []);
  });

  test('scripts/bundle.sh puts in the bundle every file the compiled code reads beside dist/', () => {
    // The addon is where node-gyp-build looks from the package root: compiled, or a prebuild.
    assert.match(readFileSync(join(ROOT, 'dist', 'lib', 'native', 'addon.js'), 'utf8'), /require\('node-gyp-build'\)/, 'lib/native/addon.ts no longer finds the addon with node-gyp-build');
    for (const place of ['build/Release/packet_io.node', 'prebuilds/linux-x64']) assert.ok(bundleScript().includes(place), `scripts/bundle.sh does not take the addon from ${place}`);
    assert.deepEqual(bundleProblems(bundleScript()), []);
    assert.match(bundleProblems(bundleScript().replaceAll('logconfig.json', 'x.json')).join('\n'), /logconfig\.json is read by the compiled code/);
  });

  test('the Dockerfile checks find each kind of mistake', () => {
    const broken = dockerfile()
      .replace('ENV NODE_ENV=production', 'RUN apt-get install -y --no-install-recommends g++\nENV NODE_ENV=production')
      .replace(`COPY --from=build ${APP_DIR} ${APP_DIR}`, `COPY --from=build ${APP_DIR} /opt/pa`)
      .replace('COPY cli cli', 'COPY cli cli\nCOPY no-such-dir no-such-dir')
      .replace('COPY man man', '')
      .replace('&& npm run bundle', '&& true')
      .replace(`ln -s ${APP_DIR}/bin/*`, `ln -s ${APP_DIR}/bin/pktminerg`)
      .replace('bin/pktminerg"]', 'dist/cli/pktminerg.js"]')
      .replace('FROM debian:bookworm-slim', 'FROM debian:trixie-slim');
    const problems = dockerfileProblems(broken).join('\n');
    for (const expected of [/runtime stage installs build tools: g\+\+/, /must COPY --from=<build stage> \/opt\/packet-agent \/opt\/packet-agent/,
      /no-such-dir is not in the repository/, /does not copy man, which npm run bundle reads/, /npm ci, then npm run bundle/, /ENTRYPOINT must be/,
      /commands and node on PATH/, /should be debian:bookworm-slim/]) {
      assert.match(problems, expected);
    }
    // libpcap0.8 against ldd: whichever way the addon links, the other Dockerfile is refused.
    const installsPcap = /--no-install-recommends libpcap0\.8/.test(dockerfile());
    const flipped = installsPcap
      ? dockerfile().replace('--no-install-recommends libpcap0.8', '--no-install-recommends ca-certificates')
      : dockerfile().replace('FROM debian:bookworm-slim', 'FROM debian:bookworm-slim\nRUN apt-get install -y libpcap0.8');
    assert.match(dockerfileProblems(flipped).join('\n'), installsPcap ? /does not install libpcap0\.8 \(.*needs libpcap\.so\.0\.8, ldd\)/ : /installs libpcap0\.8, which the addon no longer needs/);
  });
});
