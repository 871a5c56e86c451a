/**
 * What the CLI prints: aligned tables for people, JSON for scripts (`--json`), colour only
 * when the stream is a terminal (and NO_COLOR is unset).
 */
export interface Output {
  readonly json: boolean;
  readonly color: boolean;
  readonly tty: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function terminalOutput(json: boolean): Output {
  const tty = process.stdout.isTTY;
  return {
    json,
    tty,
    color: tty && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb',
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}

const CODES = { dim: [2, 22], bold: [1, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] } as const;

export function paint(o: Output, style: keyof typeof CODES, text: string): string {
  const [on, off] = CODES[style];
  return o.color ? `\u001b[${on}m${text}\u001b[${off}m` : text;
}

export function printJson(o: Output, value: unknown): void {
  o.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell; the header dimmed on a terminal. */
export function printTable(o: Output, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  o.out(`${paint(o, 'dim', line(header))}\n`);
  for (const r of rows) {
    o.out(`${line(r)}\n`);
  }
}

/** `NAME:QUALIFIER` → its parts (an ARN is passed through whole). */
export function splitQualified(ref: string): { name: string; qualifier: string | undefined } {
  if (ref.startsWith('arn:')) {
    return { name: ref, qualifier: undefined };
  }
  const i = ref.indexOf(':');
  return i === -1
    ? { name: ref, qualifier: undefined }
    : { name: ref.slice(0, i), qualifier: ref.slice(i + 1) };
}
