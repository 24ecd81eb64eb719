import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageBuildEvent } from '@porthole/contracts';
import Dockerode from 'dockerode';
import { resolveBase } from './base.js';
import { buildOne, tagImage } from './build-one.js';
import {
  buildPlan,
  defaultNamespace,
  type ImageName,
  type ImageSpec,
  imageNames,
  isImageName,
  repositoryOf,
} from './catalogue.js';
import { inputsHash, listContext } from './inputs.js';
import { findProjectRoot, projectVersion } from './paths.js';

export { createDebootstrapBase, resolveBase } from './base.js';
export { catalogue, type ImageName, imageNames, repositoryOf } from './catalogue.js';

/** Label holding the hash of everything an image was built from; equal hash = nothing to do. */
export const inputsHashLabel = 'io.porthole.inputs-hash';

export interface BuildImagesOptions {
  /** Images to build (their parents come along); all of them when empty. */
  names?: string[];
  /** Build even when the inputs hash says the image is current. */
  force?: boolean;
  /** Also bypass Docker's layer cache (e.g. to pick up Debian security updates). */
  noCache?: boolean;
  docker?: Dockerode;
  /** Progress lines; no TTY assumed. Defaults to stdout. */
  log?: (line: string) => void;
  /** The same progress as data (plan, base, each image's start, steps and outcome, end). */
  onProgress?: (event: ImageBuildEvent) => void;
  /** Every build output line instead of steps and heartbeats. */
  verbose?: boolean;
  /** Checkout holding images/ and the package.json whose version tags the images. */
  root?: string;
  /** Force a base image instead of detecting one. */
  base?: string;
  /** Docker network for RUN steps, e.g. `host` where the bridge cannot reach the Debian mirror. */
  networkMode?: string;
  /** Repository namespace (`porthole/desktop`…); tests build under their own to leave real images be. */
  namespace?: string;
}

export interface BuildResult {
  name: ImageName;
  /** `porthole/<name>:<version>`; also tagged `:latest`. */
  image: string;
  status: 'built' | 'cached' | 'failed' | 'skipped';
  id?: string;
  sizeBytes?: number;
  seconds: number;
  error?: string;
  /** The image this build replaced, removed afterwards unless something still uses it. */
  replacedId?: string;
}

export async function buildImages(options: BuildImagesOptions = {}): Promise<BuildResult[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const progress = options.onProgress ?? (() => {});
  const names = (options.names ?? []).map((name) => {
    if (!isImageName(name)) throw new Error(`unknown image '${name}' (known: ${imageNames.join(', ')})`);
    return name;
  });
  const root = options.root ?? findProjectRoot();
  const version = projectVersion(root);
  const namespace = options.namespace ?? defaultNamespace;
  const plan = buildPlan(names);
  progress({
    type: 'plan',
    images: plan.flat().map((spec) => ({
      name: spec.name,
      image: `${repositoryOf(spec.name, namespace)}:${version}`,
    })),
  });
  try {
    const results = await buildPlanned(plan, { ...options, log, onProgress: progress }, root, version);
    progress({ type: 'end' });
    return results;
  } catch (err) {
    progress({ type: 'end', error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

async function buildPlanned(
  plan: ImageSpec[][],
  options: BuildImagesOptions & Required<Pick<BuildImagesOptions, 'log' | 'onProgress'>>,
  root: string,
  version: string,
): Promise<BuildResult[]> {
  const { log, onProgress: progress } = options;
  const docker = options.docker ?? new Dockerode();
  const namespace = options.namespace ?? defaultNamespace;
  const started = Date.now();

  const baseLog = (line: string): void => {
    log(line);
    progress({ type: 'base', text: line.replace(/^base: /, '') });
  };
  const base = await resolveBase({ docker, log: baseLog, ...(options.base ? { base: options.base } : {}) });
  baseLog(`base: ${base.how}`);

  const results = new Map<ImageName, BuildResult>();
  for (const level of plan) {
    const done = await Promise.all(
      level.map((spec) => {
        const parent = spec.parent ? results.get(spec.parent) : undefined;
        if (spec.parent && !parent?.id) {
          const skipped: BuildResult = {
            name: spec.name,
            image: `${repositoryOf(spec.name, namespace)}:${version}`,
            status: 'skipped',
            seconds: 0,
            error: `parent image ${spec.parent} is not available`,
          };
          log(`[${spec.name}] skipped: ${skipped.error}`);
          progress({ type: 'finish', name: spec.name, status: 'skipped', error: skipped.error ?? '' });
          return Promise.resolve(skipped);
        }
        const from =
          spec.parent && parent?.id
            ? { ref: `${repositoryOf(spec.parent, namespace)}:${version}`, id: parent.id, arg: 'PARENT' }
            : { ref: base.ref, id: base.id, arg: 'BASE' };
        return buildSpec(spec, {
          docker,
          log,
          root,
          version,
          repository: repositoryOf(spec.name, namespace),
          from,
          options,
        });
      }),
    );
    for (const result of done) {
      results.set(result.name, result);
      if (result.status === 'skipped') continue;
      progress({
        type: 'finish',
        name: result.name,
        status: result.status,
        ...(result.error ? { error: result.error } : {}),
      });
    }
  }

  const list = [...results.values()];
  await removeReplaced(docker, list, log);
  log(`images: ${list.map((r) => `${r.name} ${r.status}`).join(', ')} in ${elapsed(started)}`);
  return list;
}

interface SpecContext {
  docker: Dockerode;
  log: (line: string) => void;
  root: string;
  version: string;
  repository: string;
  from: { ref: string; id: string; arg: string };
  options: BuildImagesOptions;
}

async function buildSpec(spec: ImageSpec, ctx: SpecContext): Promise<BuildResult> {
  const { docker, log, version, repository, from, options } = ctx;
  const started = Date.now();
  const image = `${repository}:${version}`;
  const tags = [image, `${repository}:latest`];
  try {
    const dir = join(ctx.root, 'images', spec.name);
    const files = await listContext(dir);
    const buildArgs = { [from.arg]: from.ref };
    const labels = { 'io.porthole.version': version, ...(await iconLabel(dir)) };
    const hash = await inputsHash({ dir, files, fromImageId: from.id, buildArgs, labels });

    const existing = await inspectOrUndefined(docker, image);
    if (!options.force && existing?.Config?.Labels?.[inputsHashLabel] === hash) {
      const latest = await inspectOrUndefined(docker, `${repository}:latest`);
      if (latest?.Id !== existing.Id) await tagImage(docker, existing.Id, `${repository}:latest`);
      log(`[${spec.name}] up to date (${image}, inputs unchanged)`);
      return {
        name: spec.name,
        image,
        status: 'cached',
        id: existing.Id,
        sizeBytes: existing.Size,
        seconds: 0,
      };
    }

    log(`[${spec.name}] building ${image} from ${from.ref}${options.force ? ' (forced)' : ''}`);
    options.onProgress?.({ type: 'start', name: spec.name });
    const id = await buildOne({
      docker,
      name: spec.name,
      contextDir: dir,
      files,
      tags,
      buildArgs,
      labels: { ...labels, [inputsHashLabel]: hash },
      noCache: options.noCache ?? false,
      verbose: options.verbose ?? false,
      log,
      onStep: (step, steps, text) =>
        options.onProgress?.({ type: 'step', name: spec.name, step, steps, text }),
      ...(options.networkMode ? { networkMode: options.networkMode } : {}),
    });
    const info = await docker.getImage(id).inspect();
    const seconds = (Date.now() - started) / 1000;
    log(`[${spec.name}] built ${image} in ${elapsed(started)} (${(info.Size / 1e6).toFixed(0)} MB)`);
    const replaced = existing && existing.Id !== id ? { replacedId: existing.Id } : {};
    return { name: spec.name, image, status: 'built', id, sizeBytes: info.Size, seconds, ...replaced };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`[${spec.name}] FAILED: ${error}`);
    return { name: spec.name, image, status: 'failed', seconds: (Date.now() - started) / 1000, error };
  }
}

/**
 * Rebuilt images leave their predecessors untagged; removing them (children first, as a parent
 * with children cannot go) keeps repeated builds from filling the disk. Docker refuses while a
 * container still runs the old image or another tag names it, and then the old image stays.
 */
async function removeReplaced(docker: Dockerode, results: BuildResult[], log: (line: string) => void) {
  for (const result of [...results].reverse()) {
    if (!result.replacedId) continue;
    const short = result.replacedId.slice(7, 19);
    try {
      await docker.getImage(result.replacedId).remove();
      log(`[${result.name}] removed the image it replaced (${short})`);
    } catch (err) {
      // Already gone: removing a child prunes its untagged parents, the old parent image included.
      if (isNotFound(err)) continue;
      log(`[${result.name}] kept the image it replaced (${short}): still in use`);
    }
  }
}

/** `io.porthole.icon`: the folder's icon.svg as a data: URI, which the web app shows as is. */
async function iconLabel(dir: string): Promise<Record<string, string>> {
  const file = join(dir, 'icon.svg');
  if (!existsSync(file)) return {};
  const svg = await readFile(file);
  return { 'io.porthole.icon': `data:image/svg+xml;base64,${svg.toString('base64')}` };
}

async function inspectOrUndefined(
  docker: Dockerode,
  ref: string,
): Promise<Dockerode.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'statusCode' in err && err.statusCode === 404)
      return undefined;
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'statusCode' in err && err.statusCode === 404;
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}
