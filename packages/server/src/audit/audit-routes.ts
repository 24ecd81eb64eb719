import { Readable } from 'node:stream';
import { auditQuerySchema, auditSettingsUpdateSchema } from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import { parse } from '../http/parse.js';
import { auditContext } from './audit-context.js';
import type { AuditService } from './audit-service.js';

/** Inside /api/admin: the admin guard already ran. */
export function auditAdminRoutes(admin: FastifyInstance, audit: AuditService): void {
  admin.get('/audit', async (request) => audit.list(parse(auditQuerySchema, request.query, 'query')));
  admin.get('/audit.csv', async (request, reply) => {
    const { limit: _limit, ...query } = parse(auditQuerySchema, request.query, 'query');
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="porthole-audit.csv"')
      .header('cache-control', 'no-store')
      .send(Readable.from(audit.csv(query)));
  });
  admin.get('/audit/settings', async () => audit.settings());
  admin.patch('/audit/settings', async (request) =>
    audit.updateSettings(auditContext(request), parse(auditSettingsUpdateSchema, request.body)),
  );
}
