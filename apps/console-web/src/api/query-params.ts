/**
 * Query parameters without the empty ones: a search box left empty sends no `search` at all (the
 * services refuse an empty one rather than guess what it meant).
 */
export function presentParams<T extends object>(params: T): { [K in keyof T]?: Exclude<T[K], ''> } {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined && value !== '')) as {
    [K in keyof T]?: Exclude<T[K], ''>;
  };
}
