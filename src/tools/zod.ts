// The zod every tool schema is made with, extended by zod-to-openapi before any schema exists: zod 4
// copies methods onto each schema when it is made, so `.openapi()` must be on the prototype first.
// The ESM build is imported so it extends this zod (its `main` is CommonJS, whose zod is a second copy).
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi/dist/index.mjs';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };
