import { ConversationConfigError } from './answer/conversations.ts';
import { parseArgs } from 'node:util';
import { clauseCommand, documentsCommand, ingestCommand } from './cli/corpus-commands.ts';
import { indexCommand, searchCommand } from './cli/index-commands.ts';
import { CorpusError } from './corpus/errors.ts';
import { ModelError } from './index/embedder/errors.ts';
import { IndexError } from './index/errors.ts';
import { mcpCommand } from './mcp/stdio.ts';
import { serveCommand } from './http/server.ts';
import { ToolError } from './tools/errors.ts';

const USAGE = `policy-assistant — answers questions about Beijing policies, quoting the exact clause

usage: policy-assistant <command> [options]

commands:
  ingest                 parse corpus/ and print a summary per source file
  documents [--json]     list the policy documents with their metadata
  clause <id|reference>  print one clause verbatim, e.g. clause 自贸区条例第十五条
  index [--rebuild]      build or update the search index under embeddings/
  search "问题" [--k 10]  ranked clauses with their scores
  mcp                    serve MCP over stdio for AI assistants (stdout carries only the protocol)
  serve [--port N] [--host H]
                         serve the HTTP API (port: PORT or 3000; host: HOST or 127.0.0.1)

options:
  --json                 machine-readable output on stdout
  -h, --help             this help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      rebuild: { type: 'boolean' },
      k: { type: 'string' },
      port: { type: 'string' },
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
    case 'search':
      if (!rest.length) throw new UsageError('search needs a question, e.g. policy-assistant search "外资银行可以参股证券公司吗"');
      return searchCommand(rest.join(' '), values);
    case 'mcp':
      return mcpCommand();
    case 'serve':
      return serveCommand(values);
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
    if (
      e instanceof UsageError ||
      e instanceof ToolError ||
      e instanceof CorpusError ||
      e instanceof IndexError ||
      e instanceof ModelError ||
      e instanceof ConversationConfigError ||
      (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`policy-assistant: ${(e as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`policy-assistant: unexpected error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    }
  },
);
