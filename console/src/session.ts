// The operator's console session: GET /auth/session on load (401: not signed in), sign in and out.
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken, unwrap, type Session } from './api/client.ts';

const KEY = ['session'] as const;

export function useSession() {
  return useQuery({
    queryKey: KEY,
    queryFn: async (): Promise<Session | null> => {
      try {
        const session = unwrap(await api.GET('/auth/session'));
        setCsrfToken(session.csrfToken);
        return session;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: Infinity,
    retry: false,
  });
}

/** Any 401 from the API means the session ended (expired, signed out elsewhere, roles changed). */
export function forgetSession(queryClient: QueryClient): void {
  setCsrfToken(undefined);
  queryClient.setQueryData(KEY, null);
}

export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation({
    // A refused sign-in (401) is an answer on this page, not an ended session.
    mutationKey: ['sign-in'],
    mutationFn: async (body: { apiToken: string } | { linkToken: string }) => unwrap(await api.POST('/auth/sessions', { body })),
    onSuccess: (session) => {
      setCsrfToken(session.csrfToken);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== KEY[0] });
      queryClient.setQueryData(KEY, session);
    },
  });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { response } = await api.DELETE('/auth/session');
      if (!response.ok && response.status !== 401) throw new ApiError(response.status, response.statusText);
    },
    onSuccess: () => {
      queryClient.clear();
      forgetSession(queryClient);
    },
  });
}

export function useEmailLink() {
  return useMutation({
    // `next`: the console page the emailed link opens after signing in.
    mutationFn: async ({ email, next }: { email: string; next?: string }) =>
      unwrap(await api.POST('/auth/email-link', { body: { email, ...(next ? { next } : {}) } })),
  });
}
