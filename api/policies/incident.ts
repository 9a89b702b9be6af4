// Incidents' acknowledgement SLAs by severity and their postmortems; it applies to incidents opened from now on.
import { z } from 'zod';
import { SETTINGS } from '../../db/settings.ts';
import { DEFAULT_INCIDENT_POLICY, SEVERITIES, type IncidentPolicy } from '../../domain/incident.ts';
import { durationBetween } from '../schemas.ts';
import { DAY, definePolicy, MINUTE } from './policy.ts';

const ackSla = durationBetween(10_000, DAY, "'10s' to '24h'").nullable();
const incidentPolicyIn = z
  .object({
    ackSla: z
      .object({ P1: ackSla, P2: ackSla, P3: ackSla, P4: ackSla })
      .strict()
      .describe('time to acknowledge per severity before the next escalation level is paged; null: no SLA'),
    postmortemFor: z.array(z.enum(SEVERITIES)).max(4).describe('severities whose resolution opens a postmortem task'),
    postmortemDue: durationBetween(MINUTE, 90 * DAY, "'1m' to '90d'").describe(
      'the postmortem is due this long after resolution; then a reminder goes out',
    ),
  })
  .strict();

export const incidentPolicy = definePolicy<IncidentPolicy>({
  path: '/policies/incidents',
  key: SETTINGS.incidentPolicy,
  defaults: DEFAULT_INCIDENT_POLICY,
  schema: incidentPolicyIn,
  what: 'incident policy (acknowledgement SLAs by severity, postmortems); it applies to incidents opened from now on',
});
