/**
 * Images on a Docker-compatible engine: list, check, remove, build, pull.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { withDeadline } from '../deadline.js';
import { DriverError } from '../errors.js';
import { assertTenant, buildLabels } from '../labels.js';
import type { BuildSpec, DeadlineOptions, ImageInfo } from '../types.js';
import { toDriverError } from './engine-errors.js';
import { baseImages, followProgress } from './progress.js';

const DEFAULT_CALL_TIMEOUT = 30_000;

/** The image half of the engine driver. Images are engine-wide, not tenant-scoped. */
export class EngineImages {
  constructor(private readonly docker: Docker) {}

  async listImages(): Promise<ImageInfo[]> {
    try {
      const rows = await this.docker.listImages({ abortSignal: AbortSignal.timeout(DEFAULT_CALL_TIMEOUT) });
      return rows.map((r) => ({
        id: r.Id,
        tags: (r.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
        sizeBytes: r.Size,
        createdAt: new Date(r.Created * 1000).toISOString(),
        labels: r.Labels ?? {},
      }));
    } catch (err) {
      throw toDriverError(err, 'image list');
    }
  }

  async imageExists(image: string): Promise<boolean> {
    if (typeof image !== 'string' || !image) return false;
    try {
      await this.docker.getImage(image).inspect({ abortSignal: AbortSignal.timeout(DEFAULT_CALL_TIMEOUT) } as Docker.ImageInspectOptions);
      return true;
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 404 || code === 400) return false;
      throw toDriverError(err, `image ${image}`, { image });
    }
  }

  /** One image by reference. */
  async imageInfo(image: string): Promise<ImageInfo> {
    try {
      const i = await this.docker.getImage(image).inspect();
      return {
        id: i.Id,
        tags: i.RepoTags ?? [],
        sizeBytes: i.Size,
        createdAt: new Date(i.Created).toISOString(),
        labels: i.Config?.Labels ?? {},
      };
    } catch (err) {
      throw toDriverError(err, `image ${image}`, { image });
    }
  }

  async removeImage(image: string, opts: { force?: boolean } = {}): Promise<void> {
    try {
      await this.docker.getImage(image).remove({ force: !!opts.force, abortSignal: AbortSignal.timeout(DEFAULT_CALL_TIMEOUT) });
    } catch (err) {
      const e = toDriverError(err, `image ${image}`, { image });
      throw e.code === 'not_found' ? DriverError.imageNotFound(image, err) : e;
    }
  }

  async buildImage(spec: BuildSpec): Promise<ImageInfo> {
    if (typeof spec.tag !== 'string' || !/^[a-z0-9][a-z0-9_.\-/:]{0,254}$/.test(spec.tag)) {
      throw DriverError.invalidArgument(`image tag ${JSON.stringify(spec.tag)} is malformed`);
    }
    if (spec.tenant !== undefined) assertTenant(spec.tenant);
    const labels = spec.tenant !== undefined ? buildLabels({ tenant: spec.tenant }, spec.labels) : { ...spec.labels };
    const context: NodeJS.ReadableStream =
      typeof spec.context === 'string'
        ? // Loaded on first build: a worker that never builds does not carry tar-fs.
          (await import('tar-fs')).default.pack(spec.context)
        : Buffer.isBuffer(spec.context)
          ? Readable.from([spec.context])
          : spec.context;
    if (typeof spec.context === 'string') {
      // Fail fast: with no registry, Podman spends seconds retrying a pull of a missing base image.
      for (const base of baseImages(await readFile(join(spec.context, spec.dockerfile ?? 'Dockerfile'), 'utf8').catch(() => ''))) {
        if (!(await this.imageExists(base))) throw DriverError.imageNotFound(base);
      }
    }
    const timeoutMs = spec.timeoutMs ?? 600_000;
    await withDeadline(`build ${spec.tag}`, timeoutMs, async (abortSignal) => {
      let stream: NodeJS.ReadableStream;
      try {
        // Podman answers 400 to a query key without a value: only send what is set.
        const query: Record<string, unknown> = { t: spec.tag, dockerfile: spec.dockerfile ?? 'Dockerfile', abortSignal };
        if (Object.keys(labels).length) query.labels = labels;
        if (spec.buildArgs) query.buildargs = spec.buildArgs;
        stream = await this.docker.buildImage(context, query as Docker.ImageBuildOptions);
      } catch (err) {
        throw toDriverError(err, `build ${spec.tag}`);
      }
      abortSignal.addEventListener('abort', () => (stream as unknown as Duplex).destroy?.());
      try {
        await followProgress(stream, (obj) => {
          const line = String(obj.stream ?? obj.status ?? obj.error ?? '').replace(/\n$/, '');
          if (line) spec.onProgress?.(line);
        });
      } catch (err) {
        const msg = (err as Error).message;
        if (/(image|manifest).*(not known|not found|unknown)|pull access denied|no such image|initializing source|trying to pull|container registry/i.test(msg)) {
          throw new DriverError('image_not_found', `build ${spec.tag}: ${msg}`, err);
        }
        throw new DriverError('invalid_argument', `build ${spec.tag} failed: ${msg}`, err);
      }
    });
    return this.imageInfo(spec.tag);
  }

  /**
   * Pulls an image (not part of ContainerDriver: most hosts here have no registry).
   * Podman 4.3 answers 200 and reports a failure only inside the progress stream;
   * that line becomes `image_not_found`. Default deadline 300 000 ms.
   */
  async pullImage(image: string, opts: DeadlineOptions & { onProgress?: (line: string) => void } = {}): Promise<void> {
    await withDeadline(`pull ${image}`, opts.timeoutMs ?? 300_000, async (abortSignal) => {
      let stream: NodeJS.ReadableStream;
      try {
        stream = await this.docker.pull(image, { abortSignal });
      } catch (err) {
        const e = toDriverError(err, `image ${image}`, { image });
        throw e.code === 'not_found' || e.code === 'engine_unavailable' ? DriverError.imageNotFound(image, err) : e;
      }
      try {
        await followProgress(stream, (o) => opts.onProgress?.(String(o.status ?? o.stream ?? o.error ?? '')));
      } catch (err) {
        throw DriverError.imageNotFound(image, err);
      }
    });
  }
}
