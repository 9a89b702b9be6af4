// Contract messages: frozen wire contract shared by the workflow and the API.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ContractState, ContractTerms, PartnerSignEvidence } from '../domain/contract.ts';
import type { Actor } from '../domain/actors.ts';

/** New terms for a draft or a contract in approval (approvals given are cleared); `termsVersion` guards against a stale edit. */
export interface AmendContractArgs {
  actor: Actor;
  terms: ContractTerms;
  termsVersion?: number;
}
export interface ContractActionArgs {
  actor: Actor;
  reason?: string;
}
/**
 * The partner's signature: the hash of the one-time token from their link (the API hashes what it received) and the
 * evidence the API saw (the name they typed, their address and browser). Runs signed before the evidence have none.
 */
export interface PartnerSignArgs {
  tokenHash: string;
  evidence?: PartnerSignEvidence;
}

export const amendContract = defineUpdate<ContractState, [AmendContractArgs]>('amendContract');
export const submitContract = defineUpdate<ContractState, [ContractActionArgs]>('submitContract');
export const signContract = defineUpdate<ContractState, [ContractActionArgs]>('signContract');
export const partnerSignContract = defineUpdate<ContractState, [PartnerSignArgs]>('partnerSignContract');
export const terminateContract = defineUpdate<ContractState, [ContractActionArgs & { reason: string }]>('terminateContract');
export const getContract = defineQuery<ContractState>('getContract');
