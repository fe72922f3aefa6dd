// Types of the owner's API contract as the renderer uses them (types only: no runtime import).
import type { z } from 'zod';
import type { HangarApi, hangarEvents, OsTypeInfo as OsTypeInfoSchema } from '../../src-main/api/contract.js';

export type { z };
export type { VmCreateInput, VmModifyInput, VmDetails, VmSummary, TaskInfo } from '../../src-main/api/contract.js';
export type { VmState } from '../../src-vmm/protocol/states.js';

export type ApiMethod = keyof HangarApi & string;
export type ApiInput<M extends ApiMethod> = z.input<HangarApi[M]['input']>;
export type ApiOutput<M extends ApiMethod> = z.output<HangarApi[M]['output']>;
export type EventName = keyof typeof hangarEvents & string;
export type EventPayload<E extends EventName> = z.output<(typeof hangarEvents)[E]>;
export type OsTypeInfo = z.output<typeof OsTypeInfoSchema>;
export type FsEntry = ApiOutput<'fs.list'>['entries'][number];
export type FileFilter = ApiInput<'fs.list'>['filter'] & string;
