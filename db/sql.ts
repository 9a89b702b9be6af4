/**
 * A text[] parameter for raw SQL: MikroORM expands a JS array bound to `?` into a list, so arrays travel as
 * PostgreSQL array literals (every element quoted and escaped).
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
