// Windows environment variables as Windows reads them: names in any case, %NAME% expanded in a
// REG_EXPAND_SZ. Used by the policy keys (config/) and the doctor's environment check.

/** A variable's value in an environment, by its name in any case, as Windows looks names up. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  if (env[name] !== undefined) return env[name];
  const upper = name.toUpperCase();
  const key = Object.keys(env).find((k) => k.toUpperCase() === upper);
  return key === undefined ? undefined : env[key];
}

/**
 * A REG_EXPAND_SZ text as Windows expands it (ExpandEnvironmentStrings): `%NAME%` becomes the
 * variable's value; an undefined name stays as written, both `%` included, and the scan goes on
 * after it (in `%UNDEFINED%NAME%`, NAME is not expanded: Wine 8 builds a new process's
 * environment so, checked in the win32 tier; Windows' own was not run for that corner).
 */
export function expandVariables(text: string, env: NodeJS.ProcessEnv): string {
  let out = '';
  let at = 0;
  for (;;) {
    const start = text.indexOf('%', at);
    const end = start < 0 ? -1 : text.indexOf('%', start + 1);
    if (end < 0) return out + text.slice(at);
    const value = end > start + 1 ? envValue(env, text.slice(start + 1, end)) : undefined;
    out += value === undefined ? text.slice(at, end + 1) : text.slice(at, start) + value;
    at = end + 1;
  }
}
