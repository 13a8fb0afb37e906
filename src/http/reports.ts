/**
 * GET /v1/reports/adherence (role supervisor): the adherence report by operator or UTC day, JSON
 * or CSV; GET /v1/calls/{callId}/adherence (role operator): the same figures for one call, by the
 * same SQL (src/reports/adherence.ts). Thin.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { adherenceReport, callAdherence, emptyFigures } from '../reports/adherence.js';
import { adherenceCsv } from '../reports/csv.js';
import { MAX_DAYS, parsePeriod } from '../reports/period.js';
import { reportReaderFor } from '../reports/readers.js';
import { AdherenceQuery, AdherenceReport, CallAdherence } from '../reports/schema.js';
import { CallIdParams, problems } from './schemas.js';

const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // How long the report's SQL takes over the stored history: the one figure that grows with it.
  const reportSeconds = app.metrics.histogram(
    'callflow_report_seconds',
    "The adherence report's SQL, by grouping",
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    ['group_by'],
  );
  // The report's SQL runs apart from the event path: its own thread (SQLite), its own pool (PostgreSQL).
  const reader = reportReaderFor(app.config.databaseUrl);
  if (reader) app.addHook('onClose', () => reader.close());
  app.get(
    '/reports/adherence',
    {
      config: { role: 'supervisor' },
      schema: {
        summary: 'Script adherence of the calls started in [from, to)',
        description: `Grouped by \`operator\` (default) or UTC \`day\` (every day of the period, zeros included); \`format=csv\` answers text/csv with a header row, one row per group and the totals. At most ${MAX_DAYS} days. Each figure is defined in docs/supervisor.md.`,
        querystring: AdherenceQuery,
        produces: ['application/json', 'text/csv'],
        response: {
          200: {
            content: {
              'application/json': { schema: AdherenceReport },
              'text/csv': { schema: Type.String({ description: 'The same figures as CSV (RFC 4180)' }) },
            },
          },
          ...problems(400),
        },
      },
    },
    async (request, reply) => {
      const { from, to, groupBy = 'operator', format = 'json' } = request.query;
      const period = parsePeriod(from, to);
      const stop = reportSeconds.startTimer({ group_by: groupBy });
      const report = await adherenceReport(app.store, period, groupBy, reader ?? app.store);
      stop();
      if (format === 'json') return reply.type('application/json').send(report);
      const name = `adherence-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}-${groupBy}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .serializer((payload: unknown) => payload as string)
        .send(adherenceCsv(report));
    },
  );

  app.get(
    '/calls/:callId/adherence',
    {
      config: { role: 'operator' },
      schema: {
        summary: "One call's adherence figures",
        description: 'The figures of the adherence report for this call alone (docs/supervisor.md).',
        params: CallIdParams,
        response: { 200: CallAdherence, ...problems(400, 404) },
      },
    },
    async (request) => {
      const { callId } = request.params;
      await app.calls.requireCall(callId);
      const figures = await callAdherence(app.store, callId);
      return { callId, ...(figures ?? emptyFigures()) };
    },
  );
};

export default reportRoutes;
