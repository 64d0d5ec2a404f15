import type { ProviderEndpoints } from '../channels/types';

/**
 * Provider API base URLs and versions come from the Worker's env, one variable per setting
 * (`GRAPH_API_URL`, `GRAPH_API_VERSION`, later `TELEGRAM_API_URL`…), each integration falling
 * back to the real host. Any variable named `<NAME>_API_URL` or `<NAME>_API_VERSION` is
 * passed on, so a new provider needs no change here; `npm start` passes the same names through
 * from its own environment.
 */
export const PROVIDER_ENDPOINT_VARIABLE = /^[A-Z][A-Z0-9_]*_API_(URL|VERSION)$/;

/**
 * What `npm start` hands the Worker from its own environment: the provider endpoint variables
 * and `PUBLIC_URL` (the origin of callback URLs, e.g. a tunnel's address), so that a local run
 * can be pointed at stand-ins and reached by providers.
 */
export function passThroughVariables(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === 'string' &&
        entry[1] !== '' &&
        (entry[0] === 'PUBLIC_URL' || PROVIDER_ENDPOINT_VARIABLE.test(entry[0])),
    ),
  );
}

/** The provider endpoint settings in `env`, and what is wrong with them. */
export function readProviderEndpoints(
  env: Readonly<Record<string, unknown>>,
  production: boolean,
): { endpoints: ProviderEndpoints; problems: string[] } {
  const endpoints: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!PROVIDER_ENDPOINT_VARIABLE.test(name) || typeof value !== 'string' || value === '') {
      continue;
    }
    if (name.endsWith('_URL')) {
      let protocol = '';
      try {
        protocol = new URL(value).protocol;
      } catch {
        problems.push(`${name} is not a valid URL`);
        continue;
      }
      // A stand-in over plain HTTP is for local runs; production talks to providers over TLS.
      if (protocol !== 'https:' && (production || protocol !== 'http:')) {
        problems.push(`${name} must be an https:// URL${production ? ' in production' : ''}`);
        continue;
      }
    }
    endpoints[name] = value;
  }
  return { endpoints, problems };
}
