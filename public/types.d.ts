/**
 * What the service sends the page, typed from the server's own definitions: the TypeBox schemas
 * of src/http/schemas.ts and the machine description of machines/describe.ts. A field renamed
 * there fails `npm run lint` in every module here that reads it. Only tsc reads this file (through
 * public/tsconfig.json); the browser never loads it, and the service does not serve it.
 */
import type { Static } from '@sinclair/typebox';
import type { DataField } from '../machines/call.events.js';
import type { Catalogue, Locale } from '../machines/catalogue.js';
import type { describeMachine } from '../machines/describe.js';
import type * as Escalations from '../src/escalations/schema.js';
import type * as ScenarioRoutes from '../src/http/scenarios.js';
import type * as Schemas from '../src/http/schemas.js';
import type * as Simulate from '../src/http/simulate.schema.js';
import type * as Utterances from '../src/http/utterance.schema.js';
import type * as Reports from '../src/reports/schema.js';
import type * as Scripts from '../src/scripts/schema.js';
import type * as Webhooks from '../src/webhooks/schemas.js';

export type CallView = Static<typeof Schemas.CallView>;
export type CallList = Static<typeof Schemas.CallList>;
export type CreateCallBody = Static<typeof Schemas.CreateCallBody>;
export type Customer = Static<typeof Schemas.Customer>;
export type History = Static<typeof Schemas.HistoryResponse>;
export type HistoryEntry = History['events'][number];
export type Problem = Static<typeof Schemas.Problem>;
export type StatePath = CallView['state'];

/** POST /v1/calls/{callId}/utterances, and each `suggestion` event of the call stream. */
export type Suggestion = Static<typeof Utterances.SuggestionSchema>;
export type UtteranceResponse = Static<typeof Utterances.UtteranceResponse>;
/** A `suggestion` stream event: the suggestion, its rank among the line's, the version it was made at. */
export type StreamedSuggestion = Suggestion & { rank: number; version: number; utteranceId?: string };

/** GET /v1/machine */
export type MachineDescription = ReturnType<typeof describeMachine>;
export type MachineEvent = MachineDescription['events'][number];
export type MachineNode = MachineDescription['nodes'][number];
export type MachineTransition = MachineDescription['transitions'][number];
export type { DataField };

/** GET /v1/script: a script version, with the locales that have a catalogue. */
export type ScriptVersion = Static<typeof Scripts.ScriptVersion>;
export interface Script extends Omit<ScriptVersion, 'catalogues'> {
  locales: Locale[];
  catalogues: Partial<Record<string, Catalogue>>;
}
/** GET /v1/script/versions */
export type ScriptVersionList = Static<typeof Scripts.VersionList>;
export type ScriptVersionInfo = Static<typeof Scripts.VersionInfo>;
/** PUT /v1/script, and a draft for POST /v1/simulate */
export type ScriptBody = Static<typeof Scripts.ScriptBody>;
/** GET /v1/scenarios */
export type ScenarioList = Static<typeof ScenarioRoutes.ScenarioList>;
/** POST /v1/simulate */
export type SimulateBody = Static<typeof Simulate.SimulateBody>;
export type SimulateTranscript = Static<typeof Simulate.Transcript>;

/** /v1/escalations (SPEC §8): one record, a page of the list. */
export type Escalation = Static<typeof Escalations.Escalation>;
export type EscalationList = Static<typeof Escalations.EscalationList>;
export type EscalationStatus = Escalation['status'];

/** GET /v1/reports/adherence, and GET /v1/calls/{callId}/adherence. */
export type AdherenceReport = Static<typeof Reports.AdherenceReport>;
export type AdherenceGroup = Static<typeof Reports.AdherenceGroup>;
export type AdherenceFigures = Static<typeof Reports.AdherenceFigures>;
export type CallAdherence = Static<typeof Reports.CallAdherence>;

/** Chart.js's constructor, the global its UMD bundle (/ui/vendor/chart.umd.js) defines. */
export type ChartConstructor = typeof import('chart.js').Chart;
/** GET /v1/webhooks, GET /v1/webhooks/{id}/deliveries (SPEC §7). */
export type WebhookEndpointList = Static<typeof Webhooks.EndpointList>;
export type WebhookEndpoint = WebhookEndpointList['webhooks'][number];
export type WebhookDeliveryList = Static<typeof Webhooks.DeliveryList>;
export type WebhookDelivery = Static<typeof Webhooks.Delivery>;
