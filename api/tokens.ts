// The tokens live in db/ (activities hash them too); the API's importers keep this path.
export { hashToken, newToken } from '../db/tokens.ts';
