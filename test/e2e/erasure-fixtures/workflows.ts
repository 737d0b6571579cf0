// The erasure suite's workflow: one patient's intake (a DTO), JWT (a Secret of the patient) and consent
// (a zod value) go through workflow arguments, two activities (input and result), a signal, an update and
// a query; the run stays open until `finish`. Nothing here branches on a sealed value, so a run replayed
// after its subject was forgotten (tombstones in place of values) issues the same commands.
import * as wf from '@temporalio/workflow';
import { sealedTypeInfo, type Secret } from '../../../src';
import type * as activities from './activities';
import { type Intake, type Note, Outcome } from './dto';
import { CONSENT } from './names';
import type { Consent } from './schemas';

const { recordIntake, confirmConsent } = wf.proxyActivities<typeof activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '200ms', maximumAttempts: 5 },
  activityTypeInfo: { confirmConsent: { inputTypes: [sealedTypeInfo(CONSENT)], outputType: sealedTypeInfo(CONSENT) } },
});

export const addNote = wf.defineSignal<[Note]>('addNote');
export const finish = wf.defineSignal('finish');
export const amend = wf.defineUpdate<Outcome, [Note]>('amend');
export const summary = wf.defineQuery<Outcome>('summary');

export async function erasureIntake(intake: Intake, jwt: Secret<string>, consent: Consent): Promise<Outcome> {
  const notes: Note[] = [];
  let recorded: Outcome | undefined;
  let finished = false;
  const current = (status: string): Outcome => Object.assign(new Outcome(), { ...recorded, status, notes: [...notes] });

  wf.setHandler(addNote, (note) => void notes.push(note));
  wf.setHandler(finish, () => {
    finished = true;
  });
  wf.setHandler(summary, () => current(finished ? 'finished' : 'open'));
  wf.setHandler(amend, async (note) => {
    await wf.condition(() => recorded !== undefined);
    notes.push(note);
    return current('amended');
  });

  recorded = await recordIntake(jwt, intake);
  await confirmConsent(consent);
  await wf.condition(() => finished);
  return current('finished');
}
wf.defineWorkflowOptions(erasureIntake, { staticOptions: { typeInfo: { inputTypes: [{}, {}, sealedTypeInfo(CONSENT)] } } });
