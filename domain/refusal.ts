// Pure: why a state machine refuses a request. A workflow's validator throws it as the failure of that type, which
// the API maps to an HTTP status (workflows/lib/failures.ts names the types).
export interface Refusal {
  type: 'Conflict' | 'Forbidden' | 'Unprocessable';
  message: string;
}

export const refuseConflict = (message: string): Refusal => ({ type: 'Conflict', message });
export const refuseForbidden = (message: string): Refusal => ({ type: 'Forbidden', message });
export const refuseUnprocessable = (message: string): Refusal => ({ type: 'Unprocessable', message });
