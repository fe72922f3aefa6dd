// Step navigation shared by the wizards: the current step, which steps the user tried to leave (their
// problems show from then on), Next that stops on a step with problems, and the guard before submit.
import { useState } from 'react';

export function useWizardSteps(stepCount: number) {
  const [step, setStep] = useState(0);
  const [attempted, setAttempted] = useState<ReadonlySet<number>>(new Set());
  const markAttempted = (s: number) => setAttempted((prev) => new Set(prev).add(s));
  return {
    step,
    setStep,
    attempted,
    isLast: step === stepCount - 1,
    back: () => setStep((s) => s - 1),
    /** advances unless the current step has problems, which it then shows */
    next: (currentIssues: readonly unknown[]) => {
      if (currentIssues.length) markAttempted(step);
      else setStep((s) => s + 1);
    },
    /** before submitting: jumps to the first step with problems (and shows them); true when all are fine */
    readyToSubmit: (firstInvalid: number) => {
      if (firstInvalid < 0) return true;
      markAttempted(firstInvalid);
      setStep(firstInvalid);
      return false;
    },
  };
}
