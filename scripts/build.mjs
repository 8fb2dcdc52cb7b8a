// Bundles the server/CLI and the browser widget with esbuild. Node packages stay external,
// so the bundle is our code only and starts fast.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  entryNames: '[name]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
if (existsSync('src/widget/widget.ts')) {
  await build({
    entryPoints: ['src/widget/widget.ts'],
    outfile: 'dist/public/widget.js',
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    logLevel: 'warning',
  });
}
