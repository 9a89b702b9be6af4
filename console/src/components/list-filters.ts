// A list's filters and page kept in the address (links, reload, back and forward keep them): read them, change some
// (any filter change starts again at the first page).
import { useSearchParams } from '../router.tsx';

/** The value if it is one of `values`, else undefined (an address edited by hand names no filter). */
export const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined => values.find((v) => v === value);

export function useListFilters() {
  const [params, setParams] = useSearchParams();
  const offset = Math.max(0, Number.parseInt(params.get('offset') ?? '0', 10) || 0);
  /** Sets (or, with an empty value, clears) some filters; the page goes back to the first unless `keepOffset`. */
  const setFilters = (changes: Record<string, string | undefined>, keepOffset = false) => {
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      for (const [key, value] of Object.entries(changes)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      if (!keepOffset) next.delete('offset');
      return next;
    });
  };
  /** Every filter off, the first page. */
  const clearFilters = () => setParams(new URLSearchParams());
  return { params, offset, setFilters, clearFilters };
}
