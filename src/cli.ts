import { parseArgs } from 'node:util';
import { addCommand } from './cli/add-command.ts';
import { clauseCommand, documentsCommand, ingestCommand } from './cli/corpus-commands.ts';
import { askCommand, indexCommand, searchCommand } from './cli/index-commands.ts';
import { config } from './config.ts';
import { edgeOf, UsageError } from './errors.ts';
import { mcpCommand } from './mcp/stdio.ts';
import { serveCommand } from './http/server.ts';

const USAGE = `policy-assistant — answers questions about Beijing policies, quoting the exact clause

usage: policy-assistant <command> [options]

commands:
  ingest                 parse corpus/ and print a summary per source file
  documents [--json]     list the policy documents with their metadata
  clause <id|reference>  print one clause verbatim, e.g. clause 自贸区条例第十五条
  index [--rebuild]      build or update the search index under embeddings/
  add <file|folder>… [--replace]
                         copy policy files into corpus/ (each checked first) and update the index
  search "问题" [--k 10]  ranked clauses with their scores
  ask "问题" [--conversation ID]
                         a cited answer (offline, or by the configured LLM)
  mcp                    serve MCP over stdio for AI assistants (stdout carries only the protocol)
  serve [--port N] [--host H]
                         serve the HTTP API (port: PORT or 3000; host: HOST or 127.0.0.1)

options:
  --json                 machine-readable output on stdout
  -h, --help             this help
`;

async function main(argv: string[]): Promise<number> {
  // Every variable is checked before any work starts: a bad one is one line and exit 2.
  config();
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      rebuild: { type: 'boolean' },
      replace: { type: 'boolean' },
      k: { type: 'string' },
      port: { type: 'string' },
      conversation: { type: 'string' },
      host: { type: 'string' },
    },
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
    case 'index':
      return indexCommand(values);
    case 'add':
      return addCommand(rest, values);
    case 'search':
      if (!rest.length) throw new UsageError('search needs a question, e.g. policy-assistant search "外资银行可以参股证券公司吗"');
      return searchCommand(rest.join(' '), values);
    case 'ask':
      if (!rest.length) throw new UsageError('ask needs a question, e.g. policy-assistant ask "外资银行能做关税保函吗"');
      return askCommand(rest.join(' '), values);
    case 'mcp':
      return mcpCommand();
    case 'serve':
      return serveCommand(values);
    default:
      throw new UsageError(`unknown command "${command}"; run policy-assistant --help`);
  }
}

// A reader that stops early (`| head`) closes the pipe: what it read was all it wanted, so the
// command ends there, quietly, instead of with an unhandled EPIPE and a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Catalogue errors become one clear line; anything else is a bug and keeps its stack on stderr.
    const parseArgs = (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const edge = edgeOf(parseArgs ? new UsageError(`${(e as Error).message}; run policy-assistant --help`) : e);
    process.stderr.write(edge.internal ? `policy-assistant: unexpected error: ${(e as Error).stack ?? e}\n` : `policy-assistant: ${edge.message}\n`);
    process.exitCode = edge.exit;
  },
);
