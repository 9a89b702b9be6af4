// The workflows' bundle entry, for the worker and the bundling child process.
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
