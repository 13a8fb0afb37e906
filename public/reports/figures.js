// @ts-check
/**
 * The adherence figures a page shows after the end reasons, in column order: one list for the
 * report's table and the call's card, so the two never show different figures.
 */

/** @import { AdherenceFigures } from '../types.js' */

/** @type {Exclude<keyof AdherenceFigures, 'ended' | 'calls'>[]} */
export const FIGURES = [
  'holds',
  'holdChecks',
  'longestHoldSeconds',
  'repeatAnswers',
  'repeatLimits',
  'connectionLost',
  'profanityWarnings',
  'profanityTerminations',
  'escalations',
  'skippedContacts',
];
