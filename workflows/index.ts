// The workflow bundle entry: every workflow the worker runs.
export { contentReview } from './content.ts';
