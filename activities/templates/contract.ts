// Partner contracts' emails.
import type { PayoutRecord } from '../../domain/contract.ts';
import { compose, type Template } from './compose.ts';

export const contractTemplates = {
  contractRejected: ((d: { contractId: string; partner: string; comment: string }, ctx) =>
    compose(`[opsflow] The contract with ${d.partner} was not approved`, [
      `The contract with ${d.partner} was rejected and is a draft again.`,
      d.comment ? `Comment: ${d.comment}` : 'No comment was given.',
      `Amend it (PATCH ${ctx.publicUrl}/contracts/${d.contractId}) and submit it again (POST ${ctx.publicUrl}/contracts/${d.contractId}/submit).`,
    ])) satisfies Template<never>,

  contractToSign: ((d: { contractId: string; partner: string; termsVersion: number; expiresAt?: string | null }, ctx) =>
    compose(`[opsflow] Please sign the contract with ${d.partner}`, [
      `The contract with ${d.partner} (terms version ${d.termsVersion}) is approved and waits for your signature; the partner signs after you.`,
      ...(d.expiresAt ? [`Unsigned by both by ${d.expiresAt}, it expires.`] : []),
      // The console's contract page: the signer reads the terms and signs with one button.
      `Read it and sign: ${ctx.publicUrl}/console/partners/contracts/${d.contractId}`,
      `With an API token: POST ${ctx.publicUrl}/contracts/${d.contractId}/sign`,
    ])) satisfies Template<never>,

  contractSignatureExpired: ((d: { contractId: string; partner: string }, ctx) =>
    compose(`[opsflow] ${d.partner} did not sign: the contract expired`, [
      `${d.partner} did not sign the contract in time, so it has expired.`,
      `${ctx.publicUrl}/console/partners/contracts/${d.contractId}`,
    ])) satisfies Template<never>,

  contractActivated: ((d: { contractId: string; partner: string; code: string; start: string; end: string }) =>
    compose('Your partnership is active', [
      `Hello ${d.partner}, thank you for signing. The partnership runs from ${d.start.slice(0, 10)} to ${d.end.slice(0, 10)}.`,
      `Your tracking code: ${d.code}. Sales and traffic with it are credited to you.`,
    ])) satisfies Template<never>,

  contractEvaluation: ((d: { contractId: string; partner: string; currency: string; record: PayoutRecord }, ctx) => {
    const r = d.record;
    return compose(`[opsflow] Evaluation of ${d.partner}: ${r.periodFrom.slice(0, 10)} to ${r.periodTo.slice(0, 10)}`, [
      `The period ${r.periodFrom.slice(0, 10)} to ${r.periodTo.slice(0, 10)} of the contract with ${d.partner} (term ${r.term}${r.fraction < 1 ? `, ${Math.round(r.fraction * 100)}% of a period` : ''}):`,
      [
        `Exposure ${r.actuals.exposure}, clicks ${r.actuals.clicks}, conversions ${r.actuals.conversions}, GMV ${r.actuals.gmv} ${d.currency}`,
        `Score against the targets: ${r.score === null ? 'no targets set' : r.score}`,
        `Payout ${r.total} ${d.currency}: fee ${r.fee}, revenue share ${r.share}${r.tier === null ? '' : ` (tier ${r.tier + 1}${r.capped ? ', capped' : ''})`}, milestones ${r.milestones}`,
      ],
      `The payouts ledger: ${ctx.publicUrl}/console/partners/contracts/${d.contractId}`,
    ]);
  }) satisfies Template<never>,

  contractRenewalReminder: ((d: { contractId: string; partner: string; end: string; daysLeft: number }, ctx) =>
    compose(`[opsflow] ${d.daysLeft} days left: renew the contract with ${d.partner}?`, [
      `The contract with ${d.partner} ends on ${d.end.slice(0, 10)}. Decide in the renewal task: renew, renegotiate, or let it expire.`,
      `${ctx.publicUrl}/tasks?kind=contract_renewal&entityId=${d.contractId}`,
    ])) satisfies Template<never>,

  contractTerminated: ((d: { contractId: string; partner: string; reason: string }) =>
    compose('Your partnership has been terminated', [
      `Hello ${d.partner}, the partnership has been terminated.`,
      `Reason: ${d.reason}`,
      'The period under way is settled pro rata, and your tracking code no longer works.',
    ])) satisfies Template<never>,
};
