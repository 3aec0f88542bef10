// js-yaml (installed with electron-builder) ships no types; the packaging test needs only load().
declare module 'js-yaml' {
  export function load(text: string): unknown;
  const yaml: { load: typeof load };
  export default yaml;
}
