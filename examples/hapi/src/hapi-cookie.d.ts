// @hapi/cookie ships no type declarations; the example needs only its plugin object.
declare module '@hapi/cookie' {
  import type { Plugin } from '@hapi/hapi';
  const plugin: { plugin: Plugin<void> };
  export default plugin;
}
