/**
 * `/api/docs`: the API reference generated from the zod schemas (OpenAPI). (Filled in
 * by the API-reference work of issue 9.)
 */
import type { FastifyPluginAsync } from 'fastify';

/** The API reference routes (none yet). */
export const apiDocs: FastifyPluginAsync = async () => undefined;
