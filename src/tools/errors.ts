/**
 * Errors of the tools layer. Every edge translates them once: HTTP to a 4xx JSON body, MCP to a
 * tool result with isError, the CLI to a message and a non-zero exit.
 */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
/** The input is malformed or out of bounds. */
export class InvalidInputError extends ToolError {
  constructor(message: string) {
    super(message, 'invalid_input');
  }
}
/** The thing asked for does not exist; the message says what does. */
export class NotFoundError extends ToolError {
  constructor(message: string) {
    super(message, 'not_found');
  }
}
