/**
 * Escapes a module path for GOPROXY URLs as go does: every upper-case letter becomes "!"
 * followed by its lower-case form (github.com/Azure -> github.com/!azure).
 */
export function escapeModulePath(path: string): string {
  return path.replace(/[A-Z]/g, (letter) => `!${letter.toLowerCase()}`);
}
