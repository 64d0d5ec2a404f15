import type { ProviderEndpoints } from '../types';

/**
 * The base URL of a provider API: the Worker's `<NAME>_API_URL` when set (a stand-in, a
 * regional host), else the real host; without a trailing slash.
 */
export function providerBaseUrl(
  endpoints: ProviderEndpoints | undefined,
  variable: string,
  realHost: string,
): string {
  return (endpoints?.[variable] ?? realHost).replace(/\/+$/, '');
}
