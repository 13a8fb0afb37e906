/** The schemas of POST /v1/calls/{callId}/utterances (SPEC §12), apart so the console's types can use them. */
import { type Static, Type } from '@sinclair/typebox';
import { CALL_EVENT_TYPES, CONTACT_FIELDS } from '../../machines/call.events.js';
import { CallView, StringEnum, TEXT_PATTERN } from './schemas.js';

export const UtteranceBody = Type.Object(
  {
    speaker: StringEnum(['customer', 'operator'] as const, {
      description: 'Whose line it is; an operator line gives no suggestion',
    }),
    text: Type.String({
      minLength: 1,
      maxLength: 2000,
      pattern: TEXT_PATTERN,
      description: 'The recognised line (neither stored nor logged)',
    }),
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: TEXT_PATTERN,
        description: "The sender's id of the line: a retry applies nothing twice",
      }),
    ),
  },
  { additionalProperties: false },
);

export const SuggestionSchema = Type.Object(
  {
    type: StringEnum(CALL_EVENT_TYPES),
    data: Type.Optional(
      Type.Object(
        {
          firstName: Type.Optional(Type.String()),
          patronymic: Type.Optional(Type.String()),
          topic: Type.Optional(Type.String({ maxLength: 500 })),
          field: Type.Optional(StringEnum(CONTACT_FIELDS)),
        },
        { additionalProperties: false, description: "The event's data, to post with it as it is" },
      ),
    ),
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    evidence: Type.Array(Type.String(), { description: 'The words of the line that matched, in order' }),
    applied: Type.Optional(Type.Literal(true, { description: 'Applied at once (AUTO_APPLY); see `applied`' })),
  },
  { title: 'Suggestion' },
);

export const UtteranceResponse = Type.Object({
  suggestions: Type.Array(SuggestionSchema, { description: 'Best first; only events allowed now' }),
  applied: Type.Optional(CallView),
});

export type UtteranceBody = Static<typeof UtteranceBody>;
