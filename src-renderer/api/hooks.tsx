// React access to the API: a context holding the connection, and hooks for queries, events and long
// tasks. Components never see transports or wire messages (STYLE.md 22), and state follows server
// events rather than polling (23).
import { createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { Progress } from '../../src-vmm/base/rpc.js';
import { HangarError, toHangarError } from '../../src-vmm/base/errors.js';
import type { ApiInput, ApiMethod, ApiOutput, EventName, EventPayload } from './apiTypes.js';
import type { ApiConnection, ConnectionStatus } from './apiConnection.js';

const ApiContext = createContext<ApiConnection | null>(null);

export function ApiProvider({ connection, children }: { connection: ApiConnection; children: ReactNode }) {
  return <ApiContext.Provider value={connection}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiConnection {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi needs an ApiProvider');
  return api;
}

export function useConnectionStatus(): ConnectionStatus {
  const api = useApi();
  return useSyncExternalStore(api.subscribe, api.getStatus);
}

/** Whether the page is connected to the owner now: controls that act are disabled while it is not. */
export function useOnline(): boolean {
  return useConnectionStatus().kind === 'open';
}

/** Why a control is disabled while the page is not connected. */
export const OFFLINE_REASON = 'Not connected to Hangar';

/** Increases each time the connection (re)opens. */
export function useGeneration(): number {
  const api = useApi();
  return useSyncExternalStore(api.subscribe, () => api.generation);
}

export interface Query<T> {
  data: T | undefined;
  error: HangarError | null;
  loading: boolean;
  /** fetches again, keeping the current data until the answer arrives */
  reload: () => void;
  /** replaces the data locally (for changes that events describe) */
  setData: (update: (current: T | undefined) => T | undefined) => void;
}

/**
 * Calls `method` when `deps` change and again after each reconnect. `input: null` skips the call.
 * An answer that arrives after a newer call started is dropped.
 */
export function useApiQuery<M extends ApiMethod>(method: M, input: ApiInput<M> | null, deps: readonly unknown[]): Query<ApiOutput<M>> {
  const api = useApi();
  const generation = useGeneration();
  const [data, setDataState] = useState<ApiOutput<M> | undefined>(undefined);
  const [error, setError] = useState<HangarError | null>(null);
  const [loading, setLoading] = useState(input !== null);
  const [nonce, setNonce] = useState(0);
  const inputRef = useRef(input);
  inputRef.current = input;
  const seq = useRef(0);

  useEffect(() => {
    const current = inputRef.current;
    const mine = ++seq.current;
    if (current === null) {
      setLoading(false);
      return;
    }
    const ac = new AbortController();
    setLoading(true);
    api.call(method, current, { signal: ac.signal }).then(
      (out) => {
        if (seq.current !== mine) return;
        setDataState(out);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (seq.current !== mine || ac.signal.aborted) return;
        setError(toHangarError(e));
        setLoading(false);
      },
    );
    return () => ac.abort();
  }, [api, method, generation, nonce, ...deps]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const setData = useCallback((update: (current: ApiOutput<M> | undefined) => ApiOutput<M> | undefined) => setDataState(update), []);
  return { data, error, loading, reload, setData };
}

/** Calls `handler` for each `name` event; the subscription ends with the component. */
export function useEvent<E extends EventName>(name: E, handler: (payload: EventPayload<E>) => void): void {
  const api = useApi();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const sub = api.on(name, (p) => ref.current(p));
    return () => sub.dispose();
  }, [api, name]);
}

export interface TaskHandle<M extends ApiMethod> {
  /** runs the call; resolves with its output, or undefined when it failed or was cancelled */
  run: (input: ApiInput<M>) => Promise<ApiOutput<M> | undefined>;
  cancel: () => void;
  reset: () => void;
  running: boolean;
  progress: Progress | null;
  error: HangarError | null;
  result: ApiOutput<M> | undefined;
}

/**
 * A long call with progress and cancel: cancel aborts the call's signal and the kernel sends
 * `cancel` to the owner. A call still running when the component goes away is cancelled.
 */
export function useTask<M extends ApiMethod>(method: M): TaskHandle<M> {
  const api = useApi();
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<HangarError | null>(null);
  const [result, setResult] = useState<ApiOutput<M> | undefined>(undefined);
  const acRef = useRef<AbortController | null>(null);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      acRef.current?.abort();
    };
  }, []);

  const run = useCallback(
    async (input: ApiInput<M>) => {
      acRef.current?.abort();
      const ac = new AbortController();
      acRef.current = ac;
      setRunning(true);
      setProgress(null);
      setError(null);
      setResult(undefined);
      try {
        const out = await api.call(method, input, { signal: ac.signal, onProgress: (p) => mounted.current && acRef.current === ac && setProgress(p) });
        if (mounted.current && acRef.current === ac) setResult(out);
        return out;
      } catch (e) {
        if (mounted.current && acRef.current === ac) setError(toHangarError(e));
        return undefined;
      } finally {
        if (mounted.current && acRef.current === ac) setRunning(false);
      }
    },
    [api, method],
  );
  const cancel = useCallback(() => acRef.current?.abort(), []);
  const reset = useCallback(() => {
    acRef.current?.abort();
    acRef.current = null;
    setRunning(false);
    setProgress(null);
    setError(null);
    setResult(undefined);
  }, []);
  return { run, cancel, reset, running, progress, error, result };
}
