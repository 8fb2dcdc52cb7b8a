#!/usr/bin/env node
// The CLI is bundled to dist/ by `npm install` (prepare) or `npm run build`.
import '../dist/cli.js';
