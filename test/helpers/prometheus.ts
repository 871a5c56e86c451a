/**
 * Prometheus's text format parsed by the Prometheus project's own parser
 * (`prometheus_client.parser`, Debian's python3-prometheus-client under /usr/bin/python3;
 * .ci/run installs it): one long-lived Python process, one scrape per line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PARSER = fileURLToPath(new URL('./prometheus_parse.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | string;
}
export interface PromFamily {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: readonly PromSample[];
}

/** True when Debian's python3 can import the parser. */
export const hasPrometheusParser =
  spawnSync(PYTHON, ['-c', 'import prometheus_client.parser'], { stdio: 'ignore' }).status === 0;

export interface PrometheusParser {
  parse(text: string): Promise<Map<string, PromFamily>>;
  close(): void;
}

export function prometheusParser(): PrometheusParser {
  const child = spawn(PYTHON, [PARSER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  return {
    parse: (text) =>
      new Promise((resolve, reject) => {
        waiting.push((line) => {
          const out = JSON.parse(line) as PromFamily[] | { error: string };
          if (!Array.isArray(out)) {
            reject(new Error(`not Prometheus text format: ${out.error}`));
            return;
          }
          resolve(new Map(out.map((f) => [f.name, f])));
        });
        child.stdin.write(`${JSON.stringify(text)}\n`, (e) => {
          if (e) {
            reject(e);
          }
        });
      }),
    close: () => {
      child.stdin.end();
      child.kill();
    },
  };
}
