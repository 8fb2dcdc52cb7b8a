import { z } from './zod.ts';
import { STATUSES } from '../retrieve/filters.ts';
import { MAX_QUERY_LENGTH } from '../retrieve/retriever.ts';

/** Field schemas several tools share, so each limit is written once. */
export const SHORT_TEXT = 200;

export const shortText = z.string().max(SHORT_TEXT, `at most ${SHORT_TEXT} characters`);

export const queryText = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `the ${what} is empty`)
    .max(MAX_QUERY_LENGTH, `a ${what} is at most ${MAX_QUERY_LENGTH} characters`);

export const isoDate = z.iso.date('use an ISO date: YYYY-MM-DD').describe('ISO date, e.g. 2021-03-01');

/** Which documents to keep, by issuer, issue date and status; shared by search and the document list. */
export const StatusFilter = z.object({
  issuer: shortText.optional().describe('Only documents one of whose issuers contains this, e.g. 北京市人民政府'),
  dateFrom: isoDate.optional().describe('Only documents issued on or after this ISO date'),
  dateTo: isoDate.optional().describe('Only documents issued on or before this ISO date'),
  status: z.enum(STATUSES).optional().describe('Only documents with this status: in_force, expired, repealed or not_yet_effective'),
  asOf: isoDate.optional().describe('The date the status is judged on (default today)'),
});

export const truncated = z.string().optional().describe('Present when results were left off to keep the output bounded: "[truncated: N more …]".');

/** The tool's catalogue entry: one input and one output schema, from which every edge derives. */
export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
}
