/**
 * Loads the configuration once: schema defaults < environment (HEARTH_*) < CLI flags.
 * A bad value becomes a ConfigError naming the key, the value and what was expected.
 */
import { configSchema, type HearthConfig, type HearthConfigInput } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Maps each config key to its environment variable, e.g. dataDir → HEARTH_DATA_DIR. */
export function envName(key: string): string {
  return `HEARTH_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

export function fromEnv(env: Readonly<Record<string, string | undefined>>): HearthConfigInput {
  const out: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') {
      out[key] = value;
    }
  }
  return out;
}

export function loadConfig(...layers: HearthConfigInput[]): HearthConfig {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v !== undefined) {
        merged[k] = v;
      }
    }
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const given = key in merged ? ` (got ${JSON.stringify(merged[key])})` : '';
      return `  ${key}${given}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
