// Property test for the fail-closed rule (issue 9): random DTO graphs (registered classes, zod objects,
// Secrets, tags of several purposes nested in one another, own `toJSON`s, spread copies of Secret
// holders) are sent, decoded and forwarded WITHOUT hints. Properties:
//   1. no tagged value is in clear in any payload (data or metadata, utf-8 or base64), and every
//      payload decodes back to the same sensitive values;
//   2. a reader granted a subset of purposes sees a value only if it holds every purpose on the path
//      to it (tags and Secrets alike, wherever they sit) and sees every value it holds them all for;
//   3. nothing of a sealed value (e.g. its object keys) is in clear in the envelope header.
// Every sensitive leaf, and every object key inside a sensitive value, is a unique marker string.
import type { Payload, SerializationContext } from '@temporalio/common';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createSealedPayloadConverter, Nested, SealedType, sealedTypeInfo, Secret, Sensitive, sensitive } from '../../src';
import { META } from '../../src/lib/metadata';
import { Keyring, SealingCodec } from '../../src/codec';
import { readEnvelope } from '../../src/codec/envelope';
import { mergeForDisplay } from '../../src/codec/sealing-codec';
import { findLeaks, payloadBytes } from '../support/payloads';

type Purpose = 'phi' | 'credential';
const PURPOSES: readonly Purpose[] = ['phi', 'credential'];

// ---------------------------------------------------------------------------------------------
// The fixed vocabulary of types the generated graphs are made of.

@SealedType('fcp.Card')
class Card {
  label!: unknown;
  @Sensitive({ purpose: 'credential' }) token!: unknown;
  @Sensitive({ purpose: 'phi' }) note!: unknown;
  toJSON?: () => unknown;
}

/** Same fields and tags as Card, with an own `toJSON` as a class-field arrow (an own property of every instance). */
@SealedType('fcp.ArrowCard')
class ArrowCard {
  label!: unknown;
  @Sensitive({ purpose: 'credential' }) token!: unknown;
  @Sensitive({ purpose: 'phi' }) note!: unknown;
  toJSON = (): unknown => ({ label: this.label, token: this.token, note: this.note });
}

@SealedType('fcp.Chart')
class Chart {
  id!: unknown;
  /** A class with a credential field held in a phi field. */
  @Sensitive({ purpose: 'phi', type: () => Card }) card!: Card | ArrowCard;
  /** A class with a phi field held in a credential field. */
  @Sensitive({ purpose: 'credential', type: () => Card }) login!: Card | ArrowCard;
  @Nested(() => Card) cards!: Array<Card | ArrowCard>;
  extra!: unknown;
}

/** Holds its sensitive values as Secrets of the field's own purpose, so a spread copy keeps them sealed. */
@SealedType('fcp.Holder')
class Holder {
  @Sensitive({ purpose: 'credential' }) jwt!: Secret<unknown>;
  @Sensitive({ purpose: 'phi' }) chart!: Secret<unknown>;
  misc!: unknown;
}

const ZOD_NAME = 'fcp.ZodIntake';
const ZodIntake = z.object({
  id: z.string(),
  ssn: sensitive(z.string(), { purpose: 'phi' }),
  // Tags of the other purpose inside sensitive() values.
  contact: sensitive(z.object({ email: z.string(), pin: sensitive(z.string(), { purpose: 'credential' }) }), { purpose: 'phi' }),
  login: sensitive(z.object({ user: z.string(), dob: sensitive(z.string(), { purpose: 'phi' }) }), { purpose: 'credential' }),
  bag: sensitive(z.record(z.string(), z.unknown()), { purpose: 'phi' }),
  visits: z.array(z.object({ date: z.string(), notes: sensitive(z.unknown(), { purpose: 'credential' }) })),
  extra: z.unknown(),
});

const CONTEXT: SerializationContext = { type: 'workflow', namespace: 'default', workflowId: 'w' };
const converter = createSealedPayloadConverter({ types: [Card, ArrowCard, Chart, Holder], schemas: { [ZOD_NAME]: ZodIntake } });
let codec: SealingCodec;
beforeAll(async () => {
  codec = await SealingCodec.create({ keyring: new Keyring({ active: 'k1', keys: { k1: Keyring.generateKey() } }) });
});

// ---------------------------------------------------------------------------------------------
// Specs: pure data (so fast-check prints and shrinks them), built into values by `build`.

type Leaf = string | number | boolean | null;
type CardSpec = { k: 'card'; label: Spec; token: Spec; note: Spec; toJSON: 'none' | 'assigned' | 'arrow' };
type Spec =
  /** A marker string under any tag or Secret; the clear value otherwise. */
  | { k: 'leaf'; clear: Leaf }
  | { k: 'secret'; purpose: Purpose; inner: Spec }
  /** Plain object; `markerKey` entries get a marker as their key when inside a sealed value. */
  | { k: 'obj'; entries: Array<{ markerKey: boolean; node: Spec }>; form: 'plain' | 'spread' | 'ownToJSON' }
  | { k: 'arr'; items: Spec[] }
  | CardSpec
  | { k: 'chart'; id: Spec; card: CardSpec; login: CardSpec; cards: CardSpec[]; extra: Spec }
  | { k: 'holder'; jwt: Spec; chart: Spec; misc: Spec; spread: boolean };
type ZodSpec = { k: 'zod'; bag: Array<{ markerKey: boolean; node: Spec }>; visits: Spec[]; extra: Spec };
type RootSpec = Spec | ZodSpec;

const purposeArb = fc.constantFrom<Purpose>(...PURPOSES);
const leafArb: fc.Arbitrary<Spec> = fc.record({
  k: fc.constant('leaf' as const),
  clear: fc.constantFrom<Leaf>('clear', 'x', 7, true, null),
});
const DEPTH = { maxDepth: 4, depthIdentifier: 'spec', withCrossShrink: true } as const;

const specs = fc.letrec<{
  node: Spec;
  card: CardSpec;
  entries: Array<{ markerKey: boolean; node: Spec }>;
  secret: Spec;
  obj: Spec;
  arr: Spec;
  chart: Spec;
  holder: Spec;
}>((tie) => ({
  node: fc.oneof(DEPTH, leafArb, tie('secret'), tie('obj'), tie('card'), tie('arr'), tie('chart'), tie('holder')),
  entries: fc.array(fc.record({ markerKey: fc.boolean(), node: tie('node') }), { maxLength: 3, depthIdentifier: 'spec' }),
  secret: fc.record({ k: fc.constant('secret' as const), purpose: purposeArb, inner: tie('node') }),
  obj: fc.record({
    k: fc.constant('obj' as const),
    entries: tie('entries'),
    form: fc.constantFrom('plain' as const, 'spread' as const, 'ownToJSON' as const),
  }),
  arr: fc.record({ k: fc.constant('arr' as const), items: fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'spec' }) }),
  card: fc.record({
    k: fc.constant('card' as const),
    label: tie('node'),
    token: tie('node'),
    note: tie('node'),
    toJSON: fc.constantFrom('none' as const, 'none' as const, 'assigned' as const, 'arrow' as const),
  }),
  chart: fc.record({
    k: fc.constant('chart' as const),
    id: leafArb,
    card: tie('card'),
    login: tie('card'),
    cards: fc.array(tie('card'), { maxLength: 2, depthIdentifier: 'spec' }),
    extra: tie('node'),
  }),
  holder: fc.record({ k: fc.constant('holder' as const), jwt: tie('node'), chart: tie('node'), misc: tie('node'), spread: fc.boolean() }),
}));

const zodArb: fc.Arbitrary<ZodSpec> = fc.record({
  k: fc.constant('zod' as const),
  bag: specs.entries,
  visits: fc.array(specs.node, { maxLength: 2 }),
  extra: specs.node,
});

const rootArb: fc.Arbitrary<RootSpec> = fc.oneof(specs.obj, specs.card, specs.chart, specs.holder, specs.secret, specs.arr, zodArb);

let markerCounter = 0;
const MARKER = /S3CR3T-[0-9a-z]+-X/g;

interface Built {
  value: unknown;
  hint: ReturnType<typeof sealedTypeInfo>['payloadConverterHint'];
  /** Each marker with the set of purposes on the path to it. */
  markers: Map<string, ReadonlySet<Purpose>>;
  /** The value holds an object with an own `toJSON` (the only thing the converter may refuse to send). */
  ownToJSON: boolean;
}

/** Builds fresh values (fresh markers) for a spec; a spec is built once per property run. */
function build(root: RootSpec): Built {
  const markers = new Map<string, ReadonlySet<Purpose>>();
  let ownToJSON = false;
  const marker = (path: readonly Purpose[]): string => {
    const m = `S3CR3T-${(markerCounter++).toString(36)}-X`;
    markers.set(m, new Set(path));
    return m;
  };
  const leaf = (spec: { clear: Leaf }, path: readonly Purpose[]): unknown => (path.length > 0 ? marker(path) : spec.clear);
  const entries = (list: Array<{ markerKey: boolean; node: Spec }>, path: readonly Purpose[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    list.forEach((entry, i) => {
      out[entry.markerKey && path.length > 0 ? marker(path) : `k${i}`] = node(entry.node, path);
    });
    return out;
  };
  const card = (spec: CardSpec, path: readonly Purpose[]): Card | ArrowCard => {
    const instance = spec.toJSON === 'arrow' ? new ArrowCard() : new Card();
    instance.label = node(spec.label, path);
    instance.token = node(spec.token, [...path, 'credential']);
    instance.note = node(spec.note, [...path, 'phi']);
    if (spec.toJSON !== 'none') ownToJSON = true;
    if (spec.toJSON === 'assigned') {
      // Assigned per instance: returns the instance's own fields.
      (instance as Card).toJSON = function (this: Card) {
        return { label: this.label, token: this.token, note: this.note };
      };
    }
    return instance;
  };
  const node = (spec: Spec, path: readonly Purpose[]): unknown => {
    switch (spec.k) {
      case 'leaf':
        return leaf(spec, path);
      case 'secret':
        return new Secret(node(spec.inner, [...path, spec.purpose]), spec.purpose);
      case 'obj': {
        const fields = entries(spec.entries, path);
        if (spec.form === 'spread') return { ...fields };
        if (spec.form === 'ownToJSON') {
          ownToJSON = true;
          const copy = { ...fields };
          return Object.assign(fields, { toJSON: () => ({ ...copy }) });
        }
        return fields;
      }
      case 'arr':
        return spec.items.map((item) => node(item, path));
      case 'card':
        return card(spec, path);
      case 'chart': {
        const chart = new Chart();
        chart.id = leaf(spec.id as { clear: Leaf }, path);
        chart.card = card(spec.card, [...path, 'phi']);
        chart.login = card(spec.login, [...path, 'credential']);
        chart.cards = spec.cards.map((c) => card(c, path));
        chart.extra = node(spec.extra, path);
        return chart;
      }
      case 'holder': {
        const holder = new Holder();
        holder.jwt = new Secret(node(spec.jwt, [...path, 'credential']), 'credential');
        holder.chart = new Secret(node(spec.chart, [...path, 'phi']), 'phi');
        holder.misc = node(spec.misc, path);
        // A spread copy is a plain object: its Secrets still carry the same purposes the tags gave.
        return spec.spread ? { ...holder } : holder;
      }
    }
  };
  if (root.k !== 'zod') return { value: node(root, []), hint: undefined, markers, ownToJSON };
  const value = {
    id: 'clear-id',
    ssn: marker(['phi']),
    contact: { email: marker(['phi']), pin: marker(['phi', 'credential']) },
    login: { user: marker(['credential']), dob: marker(['credential', 'phi']) },
    bag: entries(root.bag, ['phi']),
    visits: root.visits.map((v) => ({ date: '2026-01-01', notes: node(v, ['credential']) })),
    extra: node(root.extra, []),
  };
  return { value, hint: sealedTypeInfo(ZOD_NAME).payloadConverterHint, markers, ownToJSON };
}

// ---------------------------------------------------------------------------------------------
// Sending, receiving, reading.

async function send(value: unknown, hint?: Built['hint']): Promise<Payload> {
  const [sealed] = await codec.encode([converter.toPayload(value, CONTEXT, hint)], CONTEXT);
  return sealed as Payload;
}

async function receive(payload: Payload): Promise<unknown> {
  const [opened] = await codec.decode([payload], CONTEXT);
  return converter.fromPayload(opened as Payload, CONTEXT);
}

/** `{ refused: code }` for a typed SealedError (which must not name a marker); other errors propagate. */
async function attempt<T>(run: () => Promise<T>, markers: readonly string[]): Promise<{ ok: T } | { refused: string }> {
  try {
    return { ok: await run() };
  } catch (err) {
    const { code, message, detail } = err as { code?: unknown; message?: unknown; detail?: unknown };
    if (typeof code !== 'string' || !code.startsWith('SEALED_')) throw err;
    expect(findLeaks(`${String(message)} ${JSON.stringify(detail ?? {})}`, markers)).toEqual([]);
    return { refused: code };
  }
}

/** Every marker in a value, as string values or object keys, Secrets revealed. */
function markersIn(value: unknown, out: string[] = []): string[] {
  if (Secret.isSecret(value)) return markersIn(value.reveal(), out);
  if (typeof value === 'string') out.push(...(value.match(MARKER) ?? []));
  else if (Array.isArray(value)) for (const v of value) markersIn(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      out.push(...(key.match(MARKER) ?? []));
      markersIn(v, out);
    }
  }
  return out;
}

const sorted = (list: Iterable<string>): string[] => [...list].sort();

/**
 * Objects of a decoded value a workflow could pass on: Secrets anywhere (also inside revealed ones), and
 * other objects and arrays reachable without revealing a Secret (also inside values that arrived sealed).
 */
function forwardable(value: unknown, out: object[] = [], revealed = false): object[] {
  if (typeof value !== 'object' || value === null) return out;
  if (Secret.isSecret(value)) {
    out.push(value);
    return forwardable(value.reveal(), out, true);
  }
  if (!revealed) out.push(value);
  for (const child of Array.isArray(value) ? value : Object.values(value)) forwardable(child, out, revealed);
  return out;
}

/** What a reader granted `purposes` is shown (the codec server's and CLI's view). */
function display(payload: Payload, purposes: ReadonlySet<string>): string {
  const data: unknown = JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
  if (payload.metadata?.[META.sealed] === undefined) return JSON.stringify(data);
  return JSON.stringify(mergeForDisplay(data, codec.revealNow(payload, { purposes, namespace: 'default' })));
}

const GRANTS: ReadonlyArray<ReadonlySet<Purpose>> = [new Set(), new Set(['phi']), new Set(['credential']), new Set(PURPOSES)];

/** Checks property 2 on one payload: each grant sees exactly the markers whose path purposes it holds. */
function checkReaders(phase: string, payload: Payload, markers: Map<string, ReadonlySet<Purpose>>, expectedHere: readonly string[]): void {
  for (const grant of GRANTS) {
    const shown = display(payload, grant);
    const visible = expectedHere.filter((m) => shown.includes(m));
    const allowed = expectedHere.filter((m) => [...(markers.get(m) ?? [])].every((p) => grant.has(p)));
    const overexposed = visible.filter((m) => !allowed.includes(m)).map((m) => `${m} needs ${[...(markers.get(m) ?? [])].join('+')}`);
    expect({ phase, grant: [...grant], overexposed }).toEqual({ phase, grant: [...grant], overexposed: [] });
    // Once forwarded, an array that held sealed elements seals every element under their purposes
    // (indexes shift), so a reader may see less than it could: never more.
    if (phase === 'sent')
      expect({ phase, grant: [...grant], visible: sorted(visible) }).toEqual({ phase, grant: [...grant], visible: sorted(allowed) });
  }
}

interface Trip {
  built: Built;
  all: string[];
  sealed: Payload;
  back: unknown;
}

/** Sends and decodes a built value; undefined when the send was refused (allowed only for own-toJSON graphs). */
async function trip(root: RootSpec): Promise<Trip | undefined> {
  const built = build(root);
  const all = sorted(built.markers.keys());
  const sent = await attempt(() => send(built.value, built.hint), all);
  if ('refused' in sent) {
    expect({ refused: sent.refused, allowedBecauseOwnToJSON: built.ownToJSON }).toEqual({
      refused: sent.refused,
      allowedBecauseOwnToJSON: true,
    });
    return undefined;
  }
  expect(findLeaks(payloadBytes(sent.ok), all)).toEqual([]);
  const back = await receive(sent.ok);
  expect(sorted(markersIn(back))).toEqual(all);
  return { built, all, sealed: sent.ok, back };
}

const RUNS = { numRuns: 100 } as const;

describe('fail closed: random DTO graphs sent, decoded and forwarded without hints', () => {
  test('property 1: no marker in clear in any payload; each forwarded payload decodes to the same markers', async () => {
    await fc.assert(
      fc.asyncProperty(rootArb, fc.nat(), async (root, pick) => {
        const t = await trip(root);
        if (t === undefined) return;
        // Forward the whole decoded value with no hint: it must be sealed again, never refused.
        const forwarded = await send(t.back);
        expect({ forward: 'root', leaks: findLeaks(payloadBytes(forwarded), t.all) }).toEqual({ forward: 'root', leaks: [] });
        expect(sorted(markersIn(await receive(forwarded)))).toEqual(t.all);
        // Forward one object of it (a field, an element, a Secret found anywhere): sealed again, or a typed refusal.
        const candidates = forwardable(t.back).filter((c) => markersIn(c).length > 0);
        if (candidates.length === 0) return;
        const part = candidates[pick % candidates.length] as object;
        const expected = sorted(markersIn(part));
        const sentPart = await attempt(() => send(part), t.all);
        if ('refused' in sentPart) return;
        expect({ forward: 'part', leaks: findLeaks(payloadBytes(sentPart.ok), t.all) }).toEqual({ forward: 'part', leaks: [] });
        expect(sorted(markersIn(await receive(sentPart.ok)))).toEqual(expected);
      }),
      RUNS,
    );
  });

  test('property 2: a reader sees a marker exactly when granted every purpose on the path to it, before and after forwarding', async () => {
    await fc.assert(
      fc.asyncProperty(rootArb, async (root) => {
        const t = await trip(root);
        if (t === undefined) return;
        checkReaders('sent', t.sealed, t.built.markers, t.all);
        checkReaders('forwarded', await send(t.back), t.built.markers, t.all);
      }),
      RUNS,
    );
  });

  test('property 3: keys of sealed values (markers themselves) never appear in the envelope header', async () => {
    // Bias toward the shape that leaks keys: an object keyed by markers, inside a sealed value, holding Secrets.
    const keyed = fc.record({
      k: fc.constant('obj' as const),
      entries: fc.array(fc.record({ markerKey: fc.constant(true), node: fc.oneof(specs.secret, specs.node) }), {
        minLength: 1,
        maxLength: 3,
      }),
      form: fc.constant('plain' as const),
    });
    const around = fc.oneof(
      fc.record({ k: fc.constant('secret' as const), purpose: purposeArb, inner: keyed }),
      fc.record({ k: fc.constant('card' as const), label: leafArb, token: keyed, note: keyed, toJSON: fc.constant('none' as const) }),
    );
    const zodWithKeys = zodArb.map(
      (z): ZodSpec => ({
        ...z,
        bag: [{ markerKey: true, node: { k: 'secret', purpose: 'credential', inner: { k: 'leaf', clear: null } } }, ...z.bag],
      }),
    );
    const rootWithKeys = fc.record({
      k: fc.constant('obj' as const),
      entries: fc.array(fc.record({ markerKey: fc.constant(false), node: around }), { minLength: 1, maxLength: 2 }),
      form: fc.constant('plain' as const),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof<fc.Arbitrary<RootSpec>[]>(rootWithKeys, around, zodWithKeys), async (root) => {
        const t = await trip(root);
        if (t === undefined) return;
        for (const payload of [t.sealed, await send(t.back)]) {
          for (const [key, bytes] of Object.entries(payload.metadata ?? {})) {
            const text = Buffer.from(bytes ?? new Uint8Array());
            expect({ key, leaks: findLeaks(Buffer.concat([Buffer.from(key), text]), t.all) }).toEqual({ key, leaks: [] });
          }
          const sealedBytes = payload.metadata?.[META.sealed];
          if (sealedBytes === undefined || sealedBytes === null) continue;
          // The parsed header (paths, purposes, key ids, namespace), ciphertexts left out.
          const header = JSON.stringify(readEnvelope(sealedBytes), (_k, v: unknown) => (v instanceof Uint8Array ? undefined : v));
          expect({ header: findLeaks(header, t.all) }).toEqual({ header: [] });
        }
      }),
      RUNS,
    );
  });
});
