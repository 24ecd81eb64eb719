import type { WorkspaceView } from '@porthole/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { useNavigate } from 'react-router';
import { queryKeys } from '../../api/keys';
import { sessionsApi } from '../../api/sessions';
import { launchReducer, pollUntilSettled } from './launch-machine';

/** Launches a workspace, follows the new session to `running`, then opens it. */
export function useLaunch() {
  const [status, dispatch] = useReducer(launchReducer, { phase: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const navigate = useNavigate();
  const qc = useQueryClient();

  useEffect(() => () => abort.current?.abort(), []);

  const launch = useCallback(
    async (workspace: WorkspaceView) => {
      abort.current?.abort();
      const controller = new AbortController();
      abort.current = controller;
      dispatch({ type: 'start', workspaceName: workspace.friendlyName });
      try {
        const created = await sessionsApi.launch(workspace.id);
        if (controller.signal.aborted) return;
        dispatch({ type: 'created', session: created });
        void qc.invalidateQueries({ queryKey: queryKeys.mySessions });
        const final = await pollUntilSettled(created.id, {
          get: (id, signal) => sessionsApi.get(id, signal),
          onUpdate: (view) => {
            if (!controller.signal.aborted) dispatch({ type: 'update', session: view });
          },
          signal: controller.signal,
          intervalMs: 500,
        });
        if (controller.signal.aborted) return;
        qc.setQueryData(queryKeys.session(final.id), final);
        void qc.invalidateQueries({ queryKey: queryKeys.mySessions });
        if (final.state === 'running') navigate(`/sessions/${final.id}`);
      } catch (e) {
        if (!controller.signal.aborted) dispatch({ type: 'error', error: e });
      }
    },
    [navigate, qc],
  );

  const close = useCallback(() => {
    abort.current?.abort();
    abort.current = null;
    dispatch({ type: 'reset' });
  }, []);

  return { status, launch, close };
}
