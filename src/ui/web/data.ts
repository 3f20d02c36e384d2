/** Reading the UI's JSON API, as a hook: `{ data, error, loading, reload }`. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  // No extra headers: the page's first answer is preloaded (see data-urls.ts), and a fetch must match the preload to use it.
  const res = await fetch(url, signal ? { signal } : {});
  const body = (await res.json().catch(() => undefined)) as { error?: { code: string; message: string } } | undefined;
  if (!res.ok) throw new ApiFailure(res.status, body?.error?.code ?? 'HTTP', body?.error?.message ?? `The UI server answered ${res.status}.`);
  return body as T;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiFailure | Error | undefined;
  loading: boolean;
  reload(): void;
}

/** Loads `url` (null: nothing); every change of `url` loads again, dropping answers to older ones. */
export function useApi<T>(url: string | null): Loaded<T> {
  const [state, setState] = useState<{ url: string | null; data?: T; error?: Error }>({ url: null });
  const [tick, setTick] = useState(0);
  const current = useRef<string | null>(null);
  useEffect(() => {
    current.current = url;
    if (url === null) return;
    const ctl = new AbortController();
    getJson<T>(url, ctl.signal).then(
      (data) => current.current === url && setState({ url, data }),
      (error: Error) => current.current === url && error.name !== 'AbortError' && setState({ url, error }),
    );
    return () => ctl.abort();
  }, [url, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const fresh = state.url === url;
  return { data: fresh || state.data ? state.data : undefined, error: fresh ? state.error : undefined, loading: !fresh, reload };
}
