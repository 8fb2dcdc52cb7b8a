// The package's ESM build has no declaration file of its own; it is the same API as its main entry.
declare module '@asteasolutions/zod-to-openapi/dist/index.mjs' {
  export * from '@asteasolutions/zod-to-openapi';
}
