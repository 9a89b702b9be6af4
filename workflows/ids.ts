// Pure workflow-id builders: the API and the workflows agree on ids through these alone.
export const contentReviewId = (contentId: string): string => `content-review:${contentId}`;
