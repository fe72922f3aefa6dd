// What the Snapshots tab of each VM showed (collapsed branches, selection), so switching tabs or VMs
// and coming back finds it as it was. Kept for the session, in memory.
export interface ViewMemory {
  collapsed: ReadonlySet<string>;
  selected: string;
}

const MAX_VMS = 64;
const views = new Map<string, ViewMemory>();

export function rememberedView(vmId: string): ViewMemory | undefined {
  return views.get(vmId);
}

export function rememberView(vmId: string, view: ViewMemory): void {
  views.delete(vmId);
  views.set(vmId, view);
  while (views.size > MAX_VMS) views.delete(views.keys().next().value!);
}
