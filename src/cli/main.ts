/**
 * `hearth <noun> <verb>`: `hearth serve` runs hearth (serve.ts); every other command talks
 * to a running hearth over its public APIs (client.ts), at `--endpoint` or
 * `HEARTH_ENDPOINT` (default http://127.0.0.1:8910). Arguments are parsed by commander;
 * exit codes are listed in exit-codes.ts and the help text.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { Connection } from './client.js';
import { CliError, EXIT } from './exit-codes.js';
import { terminalOutput, type Output } from './output.js';

// Each command's modules are imported when it runs: `hearth serve` never loads the AWS SDK
// clients the other commands talk through (~120 ms), and they never load the server
// (~330 ms; _one-off_ import timings).

/** package.json's version; main.ts sits two levels below it in src/ and in dist/. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return String(pkg.version);
}

const EXIT_HELP = `
Exit codes:
  0  done
  1  hearth answered with an error (unknown function, bad parameter, ...)
  2  usage: unknown command or option, bad argument
  3  hearth could not be reached at the endpoint
  4  the work ran and failed (function error; provisioned config FAILED)
  5  --wait gave up before the work finished`;

interface Globals {
  endpoint?: string;
  json?: boolean;
}

type Action = (conn: Connection, o: Output) => Promise<number>;

function program(setExit: (code: number) => void): Command {
  const root = new Command('hearth')
    .description('A self-hosted serverless platform that speaks the AWS Lambda and Tencent SCF APIs.')
    .version(`hearth ${version()}`, '-v, --version', 'print the version')
    .addOption(new Option('--endpoint <url>', 'hearth to talk to').env('HEARTH_ENDPOINT'))
    .option('--json', 'machine-readable output')
    .addHelpText('after', EXIT_HELP)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`hearth: ${text.replace(/^error: /, '')}`) });

  const run =
    <A extends unknown[]>(action: (...args: A) => Action) =>
    async (...args: A) => {
      const cmd = args.at(-1) as Command;
      const g = cmd.optsWithGlobals<Globals>();
      const o = terminalOutput(g.json === true);
      let endpoint = '';
      let conn: Connection | undefined;
      const { connect, describeFailure, resolveEndpoint } = await import('./client.js');
      try {
        endpoint = resolveEndpoint(g.endpoint, process.env);
        conn = connect(endpoint, process.env);
        setExit(await action(...args)(conn, o));
      } catch (e) {
        const failure = describeFailure(e, endpoint);
        o.err(`hearth: ${failure.message}\n`);
        setExit(failure.exitCode);
      } finally {
        conn?.close();
      }
    };

  root
    .command('serve')
    .description('run hearth (hearth serve --help for its flags)')
    .helpOption(false)
    .allowUnknownOption();

  const functions = root.command('functions').description('functions of the account and region');
  functions
    .command('ls')
    .description('list functions')
    .action(run(() => async (conn, o) => (await import('./commands/functions.js')).listFunctions(conn, o)));

  root
    .command('invoke')
    .description('invoke a function synchronously and print its answer')
    .argument('<function>', 'NAME or NAME:QUALIFIER (version or alias)')
    .option('--payload <json|@file>', 'the event, as JSON text or @path to a file', '{}')
    .option('--log', 'print the log tail on stderr')
    .action(
      run(
        (ref: string, opts: { payload?: string; log?: boolean }) => async (conn, o) =>
          (await import('./commands/invoke.js')).invoke(conn, o, ref, opts),
      ),
    );

  const pc = root.command('pc').description('provisioned concurrency');
  pc.command('put')
    .description('set provisioned concurrency of a version or alias')
    .argument('<function>', 'NAME:QUALIFIER')
    .argument('<count>', 'environments to keep ready')
    .option('--wait', 'follow Allocated/Available until READY or FAILED')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 5)', '600')
    .action(
      run(
        (ref: string, count: string, opts: { wait?: boolean; timeout: string }) => async (conn, o) =>
          (await import('./commands/pc.js')).putProvisioned(conn, o, ref, count, {
            wait: opts.wait === true,
            timeoutSec: Number(opts.timeout),
          }),
      ),
    );
  pc.command('ls')
    .description('list provisioned concurrency configs')
    .argument('[function]', 'only this function')
    .action(
      run(
        (fn: string | undefined) => async (conn, o) =>
          (await import('./commands/pc.js')).listProvisioned(conn, o, fn),
      ),
    );

  root
    .command('logs')
    .description("print a function's log events (/aws/lambda/NAME)")
    .argument('<function>', 'NAME, or a log group starting with /')
    .option('--since <duration>', 'only events of the last 30s, 10m, 2h, 1d ...')
    .option('--filter <pattern>', 'CloudWatch Logs filter pattern (terms, "phrases", -term, ?term)')
    .option('-f, --follow', 'keep printing new events until interrupted')
    .action(
      run((name: string, opts: { since?: string; filter?: string; follow?: boolean }) => async (conn, o) => {
        const stopped = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        return (await import('./commands/logs.js')).showLogs(conn, o, name, { ...opts, stopped });
      }),
    );

  root
    .command('status')
    .description('is hearth up, and what it runs')
    .action(run(() => async (conn, o) => (await import('./commands/status.js')).status(conn, o)));
  return root;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'serve') {
    // serve's flags mirror the configuration schema; serve.ts parses them itself.
    const { serve } = await import('./serve.js');
    return serve(argv.slice(1));
  }
  let exitCode: number = EXIT.ok;
  const cli = program((code) => (exitCode = code));
  if (argv.length === 0) {
    cli.outputHelp();
    return EXIT.usage;
  }
  try {
    await cli.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version exit 0; everything commander refuses is a usage error.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof CliError) {
      process.stderr.write(`hearth: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  return exitCode;
}
