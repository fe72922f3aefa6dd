// Running and recent tasks: `tasks.list` once per connection, then `task.progress` events.
import { useEffect, useState } from 'react';
import { useApiQuery, useEvent } from '../api/hooks.js';
import type { TaskInfo } from '../api/apiTypes.js';
import { mergeTask, mergeTaskLists, TASK_LIST_LIMIT } from './tasks.js';

export function useTasks(): { tasks: TaskInfo[]; error: string | null } {
  const [tasks, setTasks] = useState<TaskInfo[]>([]);
  const q = useApiQuery('tasks.list', { limit: TASK_LIST_LIMIT }, []);
  useEffect(() => {
    if (q.data) setTasks((current) => mergeTaskLists(current, q.data!.tasks));
  }, [q.data]);
  useEvent('task.progress', (t) => setTasks((current) => mergeTask(current, t)));
  return { tasks, error: q.error?.message ?? null };
}
