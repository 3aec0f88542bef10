// Style sheets are bundled by esbuild; importing one yields nothing at runtime.
declare module '*.css';
