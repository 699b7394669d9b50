/** Image commands: list, check, delete, build (with streamed progress). */
import { z } from 'zod';
import { eventSchema, requestSchema, resultSchema } from '../envelope.js';
import { AbsolutePathSchema, Base64Schema, CountSchema, RelativePathSchema, RequestIdSchema, TimestampSchema } from '../fields.js';
import { WORKER_PROTOCOL_VERSION as V } from '../versions.js';

/** Image reference such as `localhost/bosun-test:busybox` or an image id. */
export const ImageRefSchema = z.string().min(1).max(512).regex(/^[^\s]+$/, 'expected an image reference');
/** A {@link ImageRefSchema} value. */
export type ImageRef = z.infer<typeof ImageRefSchema>;

/** One local image. */
export const ImageSummarySchema = z.strictObject({
  imageId: z.string().min(1).max(128).describe("The engine's image id (e.g. `sha256:…`)."),
  tags: z.array(ImageRefSchema).describe('References that name this image, e.g. `localhost/bosun-test:busybox`; empty when untagged.'),
  sizeBytes: CountSchema.describe('Size in bytes, as the engine reports it.'),
  createdAt: TimestampSchema.describe('When the image was created, when the engine says.').optional(),
});
/** A {@link ImageSummarySchema} value. */
export type ImageSummary = z.infer<typeof ImageSummarySchema>;

/** List local images. */
export const ImagesListSchema = requestSchema(V, 'images.list', {});
/** A {@link ImagesListSchema} message. */
export type ImagesList = z.infer<typeof ImagesListSchema>;

/** Reply to `images.list`. */
export const ImagesListResultSchema = resultSchema(V, 'images.list', {
  images: z.array(ImageSummarySchema).describe("The worker's local images (always empty under the process driver)."),
});
/** A {@link ImagesListResultSchema} message. */
export type ImagesListResult = z.infer<typeof ImagesListResultSchema>;

/** Is this image present locally? */
export const ImageCheckSchema = requestSchema(V, 'image.check', {
  image: ImageRefSchema.describe('Image reference or id to look for, e.g. `localhost/bosun-test:busybox`.'),
});
/** A {@link ImageCheckSchema} message. */
export type ImageCheck = z.infer<typeof ImageCheckSchema>;

/** Reply to `image.check`. */
export const ImageCheckResultSchema = resultSchema(V, 'image.check', {
  image: ImageRefSchema.describe('The reference that was looked for.'),
  present: z.boolean().describe('True when the image is present locally (always true under the process driver, which only records images).'),
  imageId: z.string().min(1).max(128).describe("The engine's image id, when present (the current worker does not send it).").optional(),
});
/** A {@link ImageCheckResultSchema} message. */
export type ImageCheckResult = z.infer<typeof ImageCheckResultSchema>;

/** Delete a local image. */
export const ImageDeleteSchema = requestSchema(V, 'image.delete', {
  image: ImageRefSchema.describe('Image reference or id to delete.'),
  /** Delete even when containers use it (default false). */
  force: z.boolean().describe('Delete even when containers use it (default false).').optional(),
});
/** A {@link ImageDeleteSchema} message. */
export type ImageDelete = z.infer<typeof ImageDeleteSchema>;

/** Reply to `image.delete`. */
export const ImageDeleteResultSchema = resultSchema(V, 'image.delete', {
  image: ImageRefSchema.describe('The reference that was deleted.'),
  /** False when it was not there. */
  deleted: z.boolean().describe('True when it was deleted, false when it was not there.'),
});
/** A {@link ImageDeleteResultSchema} message. */
export type ImageDeleteResult = z.infer<typeof ImageDeleteResultSchema>;

/**
 * Build context: a directory on the worker (checked against its allowed roots), or
 * a tar archive inline as base64 (bounded by the message size limit, 1 MiB by default).
 */
export const BuildContextSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('dir').describe('A directory on the worker.'),
    path: AbsolutePathSchema.describe(
      "Directory on the worker; it must resolve (through symlinks) inside the worker's allowed roots (none by default, so refused unless configured).",
    ),
  }),
  z.strictObject({
    type: z.literal('tar').describe('A tar archive sent inline.'),
    base64: Base64Schema.describe("The tar archive as base64, within the worker's message size limit (about 1 MiB)."),
  }),
]);
/** A {@link BuildContextSchema} value. */
export type BuildContext = z.infer<typeof BuildContextSchema>;

/** Build an image; progress arrives as `image.build.progress`, then the result. */
export const ImageBuildSchema = requestSchema(V, 'image.build', {
  tag: ImageRefSchema.describe('Reference to tag the built image with, e.g. `localhost/my-image:1`.'),
  context: BuildContextSchema.describe('Build context: `{type: "dir", path}` on the worker or `{type: "tar", base64}` inline.'),
  /** Relative to the context (default `Dockerfile`). */
  dockerfile: RelativePathSchema.describe('Dockerfile path relative to the context; it must stay inside it (default `Dockerfile`).').optional(),
  /** Build arguments (`ARG` values) (default none). */
  buildArgs: z.record(z.string().min(1).max(255), z.string().max(4096)).describe('Build arguments: `ARG` names to values (default none).').optional(),
});
/** A {@link ImageBuildSchema} message. */
export type ImageBuild = z.infer<typeof ImageBuildSchema>;

/** One line of build output; `id` is the `image.build` request's id. */
export const ImageBuildProgressSchema = eventSchema(V, 'image.build.progress', {
  id: RequestIdSchema.describe('The `id` of the `image.build` request this line belongs to.'),
  line: z.string().max(65_536).describe('One line of build output (at most 64 KiB characters, longer ones cut).'),
});
/** A {@link ImageBuildProgressSchema} message. */
export type ImageBuildProgress = z.infer<typeof ImageBuildProgressSchema>;

/** Reply to `image.build`, after the last progress line. */
export const ImageBuildResultSchema = resultSchema(V, 'image.build', {
  tag: ImageRefSchema.describe('The reference the image was tagged with.'),
  imageId: z.string().min(1).max(128).describe("The engine's id of the built image."),
});
/** A {@link ImageBuildResultSchema} message. */
export type ImageBuildResult = z.infer<typeof ImageBuildResultSchema>;
