/** zod schemas of the API's request bodies (the types are in src/protocol). */
import { z } from 'zod';

const displayName = z.string().trim().min(1).max(64);

export const loginRequest = z.strictObject({
  flow: z.enum(['device', 'code']).optional()
});

export const createClusterRequest = z.strictObject({
  options: z.record(z.string(), z.unknown()).optional(),
  displayName: displayName.optional(),
  wait: z.boolean().optional()
});

export const renameClusterRequest = z.strictObject({ displayName });

export const scaleRequest = z.strictObject({
  count: z.number().int().min(0).max(10_000)
});

export const adaptRequest = z
  .strictObject({
    minimum: z.number().int().min(0).max(10_000),
    maximum: z.number().int().min(0).max(10_000)
  })
  .refine(r => r.minimum <= r.maximum, {
    message: 'minimum must not exceed maximum',
    path: ['minimum']
  });

export const chooseClusterRequest = z.strictObject({
  cluster: z.string().min(1).max(64).nullable()
});
