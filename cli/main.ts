import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { FirehoseError, isUsageError } from '../kafka/errors.js';
import { registerBenchCommand } from './bench-command.js';
import { terminalSafe } from './terminal-text.js';
import { registerClusterCommand } from './cluster-command.js';
import { registerReportCommands } from './report-commands.js';
import { EXIT, registerRunCommand } from './run-command.js';
import { registerScoreCommand } from './score-command.js';
import { registerSplitCommands } from './split-commands.js';
import { registerSweepCommand } from './sweep-command.js';

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('firehose')
    .description('Load-test a Kafka market-data pipeline: synthetic ticks in, worker-thread analytics, HDR end-to-end latency out.')
    .version('0.1.0')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(pc.red(text.trim().split('\n')[0]!) + '\n') });
  registerRunCommand(program, setExit);
  registerSweepCommand(program, setExit);
  registerReportCommands(program);
  registerSplitCommands(program, setExit);
  registerBenchCommand(program, setExit);
  registerScoreCommand(program, setExit);
  registerClusterCommand(program, setExit);
  program.addOption(new Option('--no-color', 'disable colours').hideHelp());
  return program;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; every parse error is a usage error.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    // Messages can carry outside text (a file's field names, a broker's error): never raw control characters.
    if (isUsageError(error)) {
      process.stderr.write(pc.red(`error: ${terminalSafe(error.message)}`) + '\n');
      return EXIT.usage;
    }
    if (error instanceof FirehoseError) {
      process.stderr.write(pc.red(`error: ${terminalSafe(error.message)}`) + '\n');
      return 1;
    }
    process.stderr.write(
      pc.red(`error: ${terminalSafe(error instanceof Error ? (error.stack ?? error.message) : String(error)).replace(/\\x0a/g, '\n')}`) +
        '\n',
    );
    return 1;
  }
}
