/** zod schemas of the API's request bodies (the types are in src/protocol). */
import * as z from 'zod';

import { KERNEL_OWNER, MAX_DISPLAY_NAME_LENGTH } from '../../protocol';

/** A name is refused, never cut, when too long: the user sees why. */
const displayName = z
  .string()
  .trim()
  .min(1, 'a cluster name cannot be empty')
  .max(
    MAX_DISPLAY_NAME_LENGTH,
    `a cluster name is at most ${MAX_DISPLAY_NAME_LENGTH} characters`
  );

/** Cluster option names as gateways define them. A key such as `__proto__`
 * would otherwise be dropped without a word (or, worse, reach an object's
 * prototype), so it is refused by name. */
const optionName = z
  .string()
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an option name is letters, digits and _')
  .refine(name => !['__proto__', 'constructor', 'prototype'].includes(name), {
    message: 'this name is not an option'
  });

/** JSON.parse keeps `__proto__` as an own key, but z.record skips it; check
 * the raw keys first so such a body is refused instead of silently changed. */
const optionsRecord = z
  .custom<Record<string, unknown>>(
    value =>
      typeof value === 'object' && value !== null && !Array.isArray(value),
    { message: 'options must be an object of option name to value' }
  )
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      const checked = optionName.safeParse(key);
      if (!checked.success) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: checked.error.issues[0]?.message ?? 'not an option name'
        });
      }
    }
  });

export const loginRequest = z.strictObject({
  flow: z.enum(['device', 'code']).optional()
});

export const createClusterRequest = z.strictObject({
  options: optionsRecord.optional(),
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

/** PUT /server/kernels: the kernels that run, as `<kernel id>/<pid>` (or `/*`). */
export const kernelsRunningRequest = z.strictObject({
  server: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'a server id is letters, digits and -'),
  running: z
    .array(
      z
        .string()
        .regex(
          KERNEL_OWNER,
          'a kernel is <kernel id>/<process id> or <kernel id>/*'
        )
    )
    .max(10_000)
});

/** What a kernel found when it compared its versions with a cluster's (`kernel/versions.py`). */
export const versionReportRequest = z.strictObject({
  mismatches: z
    .array(
      z.strictObject({
        package: z
          .string()
          .regex(
            /^[A-Za-z0-9_.-]{1,64}$/,
            'a package name is letters, digits, _ . -'
          ),
        here: z.string().max(64).nullable(),
        there: z.string().max(256),
        fatal: z.boolean()
      })
    )
    .max(16)
});
