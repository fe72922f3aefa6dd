// Page objects for the Hangar interface (Playwright): selectors by role and accessible name.
export { MainWindow, SHORTCUTS, type StateLabel, type StopMenuItem, type ToolbarButton, type VmMenuItem } from './MainWindow.js';
export { NewVmWizard, type NewVmAnswers, type WizardStep } from './NewVmWizard.js';
export { SettingsDialog, type SettingsTab } from './SettingsDialog.js';
export { ConsoleView } from './ConsoleView.js';
export { DisplayView } from './DisplayView.js';
export { TasksPanel } from './TasksPanel.js';
export { FileDialog } from './FileDialog.js';
export { ExportDialog } from './ExportDialog.js';
export { CloneWizard, ClonesSection, type CloneAnswers, type CloneErrorField, type CloneStep } from './CloneWizard.js';
export { SnapshotsView, CURRENT_STATE, type SnapshotButton, type SnapshotMenuItem, type SnapshotOutlineRow } from './SnapshotsView.js';
export { chooseOption, fieldError, focusedElement, isFocused, settle, waitUntil, watchProgressBar } from './util.js';
export { NetworksDialog } from './NetworksDialog.js';
export { MediaDialog } from './MediaDialog.js';
export { GroupedList } from './GroupedList.js';
export { MigrateDialog } from './MigrateDialog.js';
