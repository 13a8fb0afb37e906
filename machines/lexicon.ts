/**
 * The suggestion lexicon: per locale, the customer's words behind each situation (SPEC §12).
 * It is the client's data, kept in the catalogue beside the phrases (`script/*.json`, key
 * `lexicon`), so a script version carries its words with its phrases. This file is only its
 * shape; src/transcripts compiles and applies it. docs/transcripts.md explains the pattern
 * language to the people who edit the words.
 */
import { type Static, Type } from '@sinclair/typebox';

const Words = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 5000 });

/**
 * One pattern: terms in order (`a b` next to each other, `a .. b` up to three words apart),
 * groups joined by ` & ` anywhere near each other in any order. A term is a word (matched by
 * its stem), `root*` (the word starts so), `=word` (exactly this form), `/regex/` (on the
 * lower-cased word), `@set`, `{slot}`, `#name`, `#anyname`, `#patronymic`, or several of these
 * joined by `|`.
 */
export const LexiconPattern = Type.Union([
  Type.String({ minLength: 1, maxLength: 500 }),
  Type.Object(
    {
      match: Type.String({ minLength: 1, maxLength: 500 }),
      /** How sure this pattern alone makes the situation, 0 to 1 (default: the event's weight). */
      weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      /** Whether a negation just before the match cancels it (default: the event's setting). */
      negatable: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
]);
export type LexiconPattern = Static<typeof LexiconPattern>;

export const LexiconTopic = Type.Object(
  {
    /** A term (usually `@set`) naming the asked-about thing: the topic is built around it. */
    anchor: Type.String({ minLength: 1, maxLength: 500 }),
    /** Words that end the topic (the rest of the sentence is not the topic). */
    stops: Words,
    /** Words dropped from inside the topic ("какой-то"). */
    drop: Type.Optional(Words),
    /** Words after the anchor at most. */
    maxWords: Type.Optional(Type.Integer({ minimum: 1, maximum: 40 })),
  },
  { additionalProperties: false },
);

export const LexiconEvent = Type.Object(
  {
    patterns: Type.Array(LexiconPattern, { minItems: 1, maxItems: 2000 }),
    /** Default weight of this event's patterns (0.9 when absent). */
    weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Default for patterns: a negation just before the match cancels it (true when absent). */
    negatable: Type.Optional(Type.Boolean()),
    /** When one of these patterns matches anywhere in the line, the event is not suggested. */
    unless: Type.Optional(Type.Array(LexiconPattern, { maxItems: 500 })),
    /** `{slot}` terms: per data field, per value, the words that give it. */
    slots: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Words))),
    topic: Type.Optional(LexiconTopic),
  },
  { additionalProperties: false },
);
export type LexiconEvent = Static<typeof LexiconEvent>;

export const Lexicon = Type.Object(
  {
    /** Words with no meaning for matching ("ну", "э", "короче"); skipped between terms. */
    fillers: Words,
    /** Spelling and recognition variants, each replaced before matching ("щас": "сейчас");
     *  a value of several words splits the word ("неинтересно": "не интересно"). */
    spelling: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1, maxLength: 200 })),
    negation: Type.Object(
      {
        /** Words that negate what follows ("не", "нет", "без"). */
        words: Words,
        /** How many words after a negation it reaches (1: the next word, "не слышу"). */
        scope: Type.Integer({ minimum: 1, maximum: 5 }),
        /** Words a negation reaches through without counting them ("не очень", "не вовсе"). */
        through: Type.Optional(Words),
      },
      { additionalProperties: false },
    ),
    /** Words that end a clause: no gap and no `&` window reaches across them ("но", "а"). */
    boundaries: Words,
    /** Named word lists for `@set` terms (relatives, countries, negations). */
    sets: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9-]*$' }), Words),
    /** Endings of a patronymic (`#patronymic`), after a first name. */
    patronymicEndings: Words,
    /** Words that are never taken for a name after "меня зовут" (`#anyname`). */
    notNames: Words,
    /** Suggestions below this confidence are not returned at all. */
    minConfidence: Type.Number({ minimum: 0, maximum: 1 }),
    events: Type.Record(Type.String(), LexiconEvent),
  },
  { additionalProperties: false },
);
export type Lexicon = Static<typeof Lexicon>;

/** Reference data: first names of a locale, as a customer gives them (nominative). */
export const NameList = Type.Object(
  {
    locale: Type.String(),
    source: Type.String(),
    names: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type NameList = Static<typeof NameList>;
