declare const __VERSION__: string | undefined;

/** package.json's version, injected by the bundler; a marker when the sources run directly (tests). */
export const VERSION = typeof __VERSION__ === 'undefined' ? '0.0.0-dev' : __VERSION__;
