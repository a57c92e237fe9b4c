// Task XML templates live in scheduled-task/ and are embedded as text: by esbuild's text loader
// in the bundle, and by a small plugin in vitest.config.ts in the tests.
declare module '*.xml' {
  const text: string;
  export default text;
}
