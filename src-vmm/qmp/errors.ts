// The errors a QMP client throws. All are HangarErrors, so their code crosses process boundaries;
// QmpCommandError keeps QEMU's error class and text in `details` so they cross as well.
import { HangarError } from '../base/errors.js';

/** QEMU answered a command with an error. */
export class QmpCommandError extends HangarError {
  readonly command: string;
  /** QEMU's error class: GenericError, CommandNotFound, DeviceNotFound, DeviceNotActive, KVMMissingCap. */
  readonly errorClass: string;
  /** QEMU's own description. */
  readonly desc: string;

  constructor(command: string, errorClass: string, desc: string) {
    super('QMP_ERROR', `QEMU refused '${command}': ${desc}`, { details: { command, errorClass, desc } });
    this.name = 'QmpCommandError';
    this.command = command;
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/** The QMP connection went away while something was waiting on it. */
export class QmpDisconnectedError extends HangarError {
  /** Why the connection ended, e.g. "QEMU closed the connection". */
  readonly reason: string;

  constructor(reason: string, waitingFor?: string) {
    super('IO_ERROR', waitingFor ? `the QMP connection closed while waiting for ${waitingFor}: ${reason}` : `the QMP connection closed: ${reason}`, {
      details: { reason },
    });
    this.name = 'QmpDisconnectedError';
    this.reason = reason;
  }
}

/** A method was called in a runstate that does not allow it; the message says what to do. */
export class QmpStateError extends HangarError {
  readonly runstate: string;

  constructor(runstate: string, message: string) {
    super('STATE_CONFLICT', message, { details: { runstate } });
    this.name = 'QmpStateError';
    this.runstate = runstate;
  }
}
