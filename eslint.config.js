// The config and the linter's own TypeScript live in the tools/lint workspace (see its package.json).
export { default } from './tools/lint/eslint.config.js';
