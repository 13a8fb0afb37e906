/**
 * The shapes of SPEC §11: a script (both catalogues and the limits) as it is published, and a
 * version as it is read back. The catalogue shape is machines/catalogue.ts's; the lexicon's is
 * machines/lexicon.ts's.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Lexicon } from '../../machines/lexicon.js';
import { StringEnum } from '../schema-types.js';

const MAX_TEXT = 2000;

export const CatalogueEntry = Type.Object(
  {
    text: Type.String({
      minLength: 1,
      maxLength: MAX_TEXT,
      description: 'What the operator says; may start with the customer’s address ("И.О., " / "{name}, ")',
    }),
    instruction: Type.Union([Type.String({ minLength: 1, maxLength: MAX_TEXT }), Type.Null()], {
      description: 'What the operator does, or null',
    }),
    source: StringEnum(['seed', 'callflow'] as const, {
      description: 'seed: the client’s script; callflow: written where the seed has none',
    }),
  },
  { additionalProperties: false },
);

export const Catalogue = Type.Object(
  {
    locale: StringEnum(['ru', 'en'] as const),
    prompts: Type.Record(Type.String(), CatalogueEntry, { description: 'One entry per prompt key of the machine' }),
    events: Type.Record(Type.String({ maxLength: 100 }), Type.String({ minLength: 1, maxLength: 200 }), {
      description: 'A label for every event type',
    }),
    lexicon: Lexicon,
  },
  { additionalProperties: false },
);

export const Catalogues = Type.Object({ ru: Catalogue, en: Catalogue }, { additionalProperties: false });

/** The same ranges as MAX_REPEATS, MAX_CONNECTION_ATTEMPTS and HOLD_CHECK_SECONDS (src/config.ts). */
export const Limits = Type.Object(
  {
    maxRepeats: Type.Integer({ minimum: 1, maximum: 100 }),
    maxConnectionAttempts: Type.Integer({ minimum: 1, maximum: 100 }),
    holdCheckSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
  },
  { additionalProperties: false },
);
export type Limits = Static<typeof Limits>;

export const ScriptBody = Type.Object(
  {
    catalogues: Catalogues,
    limits: Type.Optional(
      Type.Partial(Limits, {
        additionalProperties: false,
        description:
          'The limits this version fixes; one it leaves out follows the deployment’s setting (MAX_REPEATS, MAX_CONNECTION_ATTEMPTS, HOLD_CHECK_SECONDS)',
      }),
    ),
  },
  { additionalProperties: false, title: 'Script' },
);
export type ScriptBody = Static<typeof ScriptBody>;

/** What a version fixed, stored as published: catalogues and the limits it names. */
export interface ScriptContent {
  catalogues: Static<typeof Catalogues>;
  limits: Partial<Limits>;
}

export const Changes = Type.Object(
  {
    prompts: Type.Array(Type.String(), { description: 'Prompt keys whose text or instruction changed, as locale:key' }),
    events: Type.Array(Type.String(), { description: 'Event labels that changed, as locale:type' }),
    lexicon: Type.Array(Type.String(), { description: 'Locales whose transcript lexicon changed' }),
    limits: Type.Array(Type.String(), { description: 'Limits that changed' }),
  },
  { additionalProperties: false },
);
export type Changes = Static<typeof Changes>;

const VersionFields = {
  version: Type.Integer({ minimum: 1 }),
  publishedAt: Type.String({ format: 'date-time' }),
  publishedBy: Type.String({
    description: 'Who published it: the caller’s role and token, or "shipped" for version 1',
  }),
  summary: Type.String({ description: 'What changed from the version before, in words' }),
  changes: Changes,
};

export const VersionInfo = Type.Object(VersionFields, { title: 'ScriptVersionInfo' });
export type VersionInfo = Static<typeof VersionInfo>;

export const ScriptVersion = Type.Object(
  {
    ...VersionFields,
    current: Type.Boolean({ description: 'Whether new calls take this version' }),
    catalogues: Catalogues,
    limits: Type.Object(Limits.properties, {
      description: 'The limits calls on this version run with (the version’s own, the deployment’s for the rest)',
    }),
    fixedLimits: Type.Partial(Limits, { description: 'The limits this version fixes itself' }),
  },
  { title: 'ScriptVersion' },
);
export type ScriptVersion = Static<typeof ScriptVersion>;

export const PublishAnswer = Type.Object(
  {
    ...ScriptVersion.properties,
    published: Type.Boolean({ description: 'false: equal to the current version, nothing published' }),
  },
  { title: 'ScriptPublished' },
);

export const VersionList = Type.Object({
  current: Type.Integer({ minimum: 1 }),
  versions: Type.Array(VersionInfo, { description: 'Newest first' }),
});

export const VersionQuery = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'A published version (default: the current one)' })),
  },
  { additionalProperties: false },
);
