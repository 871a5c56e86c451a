/**
 * hearth's configuration: one schema, parsed once (defaults < environment < flags), then
 * frozen. Nothing else in hearth reads process.env for settings.
 */
import { z } from 'zod';

export const configSchema = z.strictObject({
  /** Interface to listen on. */
  host: z.string().min(1).default('127.0.0.1'),
  /** TCP port; 0 picks a free one (tests). */
  port: z.coerce.number().int().min(0).max(65535).default(8910),
  /** Directory for the SQLite database and code packages. */
  dataDir: z.string().min(1).default('./.hearth'),
  /** Region used when a request carries no SigV4 credential scope. */
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must look like us-east-1')
    .default('us-east-1'),
  /** The (single, for now) account id: 12 digits. */
  accountId: z
    .string()
    .regex(/^\d{12}$/, 'must be 12 digits')
    .default('123456789012'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Account-wide ConcurrentExecutions (AWS default 1000). */
  accountConcurrency: z.coerce.number().int().min(1).default(1000),
  /** UnreservedConcurrentExecutions may not drop below this (AWS: 100). */
  minUnreservedConcurrency: z.coerce.number().int().min(0).default(100),
  /** Idle on-demand environments are stopped after this many milliseconds. */
  idleTimeoutMs: z.coerce.number().int().min(0).default(300_000),
  /** Environments starting at once, across all functions. */
  maxConcurrentStarts: z.coerce.number().int().min(1).default(32),
  /** Base URL advertised in Code.Location; defaults to the listening address. */
  publicUrl: z.string().url().optional(),
});

export type HearthConfig = Readonly<z.infer<typeof configSchema>>;
export type HearthConfigInput = z.input<typeof configSchema>;
