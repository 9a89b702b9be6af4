import type { Config } from './config.ts';

export interface TemporalConnection {
  address: string;
  tls: false | Record<string, never>;
  apiKey?: string;
}

/**
 * Connection options shared by the API client and the worker (both accept this shape): a local server, a
 * self-hosted cluster, or Temporal Cloud with an API key.
 */
export function temporalConnectionOptions(config: Config, address: string): TemporalConnection {
  const tls = config.TEMPORAL_TLS ? config.TEMPORAL_TLS === 'true' : Boolean(config.TEMPORAL_API_KEY);
  return {
    address,
    tls: tls ? {} : false,
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
