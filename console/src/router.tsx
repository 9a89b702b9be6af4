// Client-side routing by wouter (2 KB, hooks, nested routes): each area of the console owns its sub-paths under
// /console/<area> through a nested <Route>, so adding a page never touches another area's routes.
import { useLocation as useWouterLocation, useSearch } from 'wouter';
import { navigate as browserNavigate } from 'wouter/use-browser-location';

export { Link, Redirect, Route, Switch, useParams, useRoute, useSearchParams } from 'wouter';

/** Navigates by absolute path (outside any nested route's base). */
export function navigate(to: string, { replace = false } = {}): void {
  if (to === location.pathname + location.search) return;
  browserNavigate(to, { replace });
}

/** The path (relative to the nearest nested route) and the query string's parameters. */
export function useLocation(): { pathname: string; params: URLSearchParams } {
  const [pathname] = useWouterLocation();
  const search = useSearch();
  return { pathname, params: new URLSearchParams(search) };
}
