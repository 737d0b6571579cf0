// The demo as a function: main.ts runs it from the command line, test/e2e/examples.test.ts runs it on a shared server.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SignJWT } from 'jose';
import { secret } from '../../src';
import { Keyring, type SealingCodec } from '../../src/codec';
import type { DevServer } from '../support/dev-server';
import { withExample } from '../support/harness';
import { sideBySide, twoViews } from '../support/side-by-side';
import * as activities from './activities';
import { payloadConverter } from './converter';
import { PatientIntake, Vitals, type IntakeReceipt } from './model';
import { intakeWorkflow } from './workflows';

const CONVERTER_PATH = path.join(__dirname, 'converter.ts');

export interface DemoOptions {
  /** Run on this server instead of starting (and stopping) one. */
  server?: DevServer;
  print?: (text: string) => void;
}

export interface DemoResult {
  workflowId: string;
  receipt: IntakeReceipt;
  /** The sensitive values that went in, and clear values that must stay readable. */
  sensitive: string[];
  clear: string[];
  /** Raw history events as the service returned them, no codec involved. */
  events: temporal.api.history.v1.IHistoryEvent[];
}

/** SEALED_FIELDS_KEYS from the environment when set; otherwise throwaway keys, one per purpose. */
function demoKeyring(): Keyring {
  if (process.env.SEALED_FIELDS_KEYS) return Keyring.fromEnv();
  return new Keyring({
    active: 'demo-credential',
    keys: { 'demo-credential': Keyring.generateKey(), 'demo-phi': Keyring.generateKey() },
    purposes: { phi: 'demo-phi' },
  });
}

export function demoJwt(): Promise<string> {
  return new SignJWT({ role: 'clinician' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('dr-quinn')
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(activities.DEMO_JWT_KEY);
}

export function sampleIntake(): PatientIntake {
  return Object.assign(new PatientIntake(), {
    intakeId: 'intake-2026-0042',
    clinic: 'north-clinic',
    language: 'en',
    fullName: 'Ada Lovelace',
    dateOfBirth: '1815-12-10',
    ssn: secret('078-05-1120', { purpose: 'phi' }),
    symptoms: ['persistent cough', 'fatigue'],
    vitals: Object.assign(new Vitals(), { takenAt: '2026-11-28T09:30:00Z', bloodPressure: '128/82', heartRate: 77 }),
  });
}

/** A quick look for each sensitive value in the stored bytes (the e2e suite also checks base64 and SQLite). */
function plaintextCheck(events: temporal.api.history.v1.IHistoryEvent[], sensitive: string[]): string {
  const bytes = Buffer.from(temporal.api.history.v1.History.encode({ events }).finish());
  const found = sensitive.filter((value) => bytes.includes(value));
  return found.length === 0
    ? `\n✔ none of the ${sensitive.length} sensitive values appears in the ${bytes.length} bytes of stored history`
    : `\n✘ ${found.length} sensitive values appear in the stored history`;
}

async function report(events: temporal.api.history.v1.IHistoryEvent[], codec: SealingCodec): Promise<string> {
  const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const result = events.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes?.result
    ?.payloads?.[0];
  const panels: Array<[string, Payload | undefined]> = [
    ['workflow input 1: the user JWT, a bare secret()', input[0] as Payload],
    ['workflow input 2: PatientIntake (clear fields + @Sensitive PHI)', input[1] as Payload],
    ['workflow result: IntakeReceipt', result as Payload],
  ];
  const out: string[] = [];
  for (const [title, payload] of panels) {
    if (payload === undefined) continue;
    const views = await twoViews(payload, codec, payloadConverter);
    out.push(sideBySide(title, views.stored, views.opened));
  }
  return out.join('\n\n');
}

/** Starts a worker and runs the JWT + PHI workflow through a real Temporal server, then shows both views. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const print = options.print ?? ((text: string) => console.log(text));
  const setup = {
    server: options.server,
    converterPath: CONVERTER_PATH,
    workflowsPath: require.resolve('./workflows'),
    activities,
    keyring: demoKeyring(),
  };
  return withExample(
    { ...setup, workflowInterceptorsPath: require.resolve('./workflow-interceptors') },
    async ({ client, codec, taskQueue, withWorker, rawEvents }) => {
      const jwt = await demoJwt();
      const intake = sampleIntake();
      const workflowId = `patient-intake-${randomUUID().slice(0, 8)}`;
      const receipt = await withWorker(() =>
        client.workflow.execute(intakeWorkflow, { taskQueue, workflowId, args: [secret(jwt, { purpose: 'credential' }), intake] }),
      );
      const events = await rawEvents(workflowId);
      print(await report(events, codec));
      const vitals = intake.vitals;
      const sensitive = [jwt, intake.fullName, intake.dateOfBirth, intake.ssn.reveal(), ...intake.symptoms, vitals.bloodPressure];
      print(plaintextCheck(events, sensitive));
      return { workflowId, receipt, sensitive, clear: [intake.intakeId, intake.clinic, vitals.takenAt], events };
    },
  );
}
