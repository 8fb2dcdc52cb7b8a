import { parseArgs } from 'node:util';
import { clauseCommand, documentsCommand, ingestCommand } from './cli/corpus-commands.ts';
import { CorpusError } from './corpus/errors.ts';
import { ToolError } from './tools/errors.ts';

const USAGE = `policy-assistant — answers questions about Beijing policies, quoting the exact clause

usage: policy-assistant <command> [options]

commands:
  ingest                 parse corpus/ and print a summary per source file
  documents [--json]     list the policy documents with their metadata
  clause <id|reference>  print one clause verbatim, e.g. clause 自贸区条例第十五条

options:
  --json                 machine-readable output on stdout
  -h, --help             this help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  switch (command) {
    case 'ingest':
      return ingestCommand(values);
    case 'documents':
      return documentsCommand(values);
    case 'clause':
      if (!rest.length) throw new UsageError('clause needs an id or a reference, e.g. policy-assistant clause 自贸区条例第十五条');
      return clauseCommand(rest.join(' '), values);
    default:
      throw new UsageError(`unknown command "${command}"; run policy-assistant --help`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Known errors become one clear line; anything else is a bug and keeps its stack on stderr.
    if (e instanceof UsageError || e instanceof ToolError || e instanceof CorpusError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`policy-assistant: ${(e as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`policy-assistant: unexpected error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    }
  },
);
