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
  imageId: z.string().min(1).max(128),
  tags: z.array(ImageRefSchema),
  sizeBytes: CountSchema,
  createdAt: TimestampSchema.optional(),
});
/** A {@link ImageSummarySchema} value. */
export type ImageSummary = z.infer<typeof ImageSummarySchema>;

/** List local images. */
export const ImagesListSchema = requestSchema(V, 'images.list', {});
/** A {@link ImagesListSchema} message. */
export type ImagesList = z.infer<typeof ImagesListSchema>;

/** Reply to `images.list`. */
export const ImagesListResultSchema = resultSchema(V, 'images.list', {
  images: z.array(ImageSummarySchema),
});
/** A {@link ImagesListResultSchema} message. */
export type ImagesListResult = z.infer<typeof ImagesListResultSchema>;

/** Is this image present locally? */
export const ImageCheckSchema = requestSchema(V, 'image.check', { image: ImageRefSchema });
/** A {@link ImageCheckSchema} message. */
export type ImageCheck = z.infer<typeof ImageCheckSchema>;

/** Reply to `image.check`. */
export const ImageCheckResultSchema = resultSchema(V, 'image.check', {
  image: ImageRefSchema,
  present: z.boolean(),
  imageId: z.string().min(1).max(128).optional(),
});
/** A {@link ImageCheckResultSchema} message. */
export type ImageCheckResult = z.infer<typeof ImageCheckResultSchema>;

/** Delete a local image. */
export const ImageDeleteSchema = requestSchema(V, 'image.delete', {
  image: ImageRefSchema,
  /** Delete even when containers use it (default false). */
  force: z.boolean().optional(),
});
/** A {@link ImageDeleteSchema} message. */
export type ImageDelete = z.infer<typeof ImageDeleteSchema>;

/** Reply to `image.delete`. */
export const ImageDeleteResultSchema = resultSchema(V, 'image.delete', {
  image: ImageRefSchema,
  /** False when it was not there. */
  deleted: z.boolean(),
});
/** A {@link ImageDeleteResultSchema} message. */
export type ImageDeleteResult = z.infer<typeof ImageDeleteResultSchema>;

/**
 * Build context: a directory on the worker (checked against its allowed roots), or
 * a tar archive inline as base64 (bounded by the message size limit, 1 MiB by default).
 */
export const BuildContextSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('dir'), path: AbsolutePathSchema }),
  z.strictObject({ type: z.literal('tar'), base64: Base64Schema }),
]);
/** A {@link BuildContextSchema} value. */
export type BuildContext = z.infer<typeof BuildContextSchema>;

/** Build an image; progress arrives as `image.build.progress`, then the result. */
export const ImageBuildSchema = requestSchema(V, 'image.build', {
  tag: ImageRefSchema,
  context: BuildContextSchema,
  /** Relative to the context (default `Dockerfile`). */
  dockerfile: RelativePathSchema.optional(),
  buildArgs: z.record(z.string().min(1).max(255), z.string().max(4096)).optional(),
});
/** A {@link ImageBuildSchema} message. */
export type ImageBuild = z.infer<typeof ImageBuildSchema>;

/** One line of build output; `id` is the `image.build` request's id. */
export const ImageBuildProgressSchema = eventSchema(V, 'image.build.progress', {
  id: RequestIdSchema,
  line: z.string().max(65_536),
});
/** A {@link ImageBuildProgressSchema} message. */
export type ImageBuildProgress = z.infer<typeof ImageBuildProgressSchema>;

/** Reply to `image.build`, after the last progress line. */
export const ImageBuildResultSchema = resultSchema(V, 'image.build', {
  tag: ImageRefSchema,
  imageId: z.string().min(1).max(128),
});
/** A {@link ImageBuildResultSchema} message. */
export type ImageBuildResult = z.infer<typeof ImageBuildResultSchema>;
