// Opening the Clone wizard from anywhere below the main window (the Snapshots tab's "Clone"), apart
// from the wizard itself so that its code loads only when it opens.
import { createContext, useContext } from 'react';

/** What to clone: a VM, and optionally the snapshot to preselect. */
export interface CloneRequest {
  vmId: string;
  snapshotId?: string | null;
}

const OpenCloneContext = createContext<((request: CloneRequest) => void) | null>(null);

/** Lets views below it open the Clone wizard (the main window provides it). */
export const CloneWizardProvider = OpenCloneContext.Provider;

/** Opens the Clone wizard; null outside a CloneWizardProvider. */
export function useOpenCloneWizard(): ((request: CloneRequest) => void) | null {
  return useContext(OpenCloneContext);
}
