import { AuditEvent } from './audit-event.ts';
import { Campaign, CampaignRecipient, CampaignReport } from './campaign.ts';
import { Channel } from './channel.ts';
import { Content } from './content.ts';
import { Contract, ContractPayout, ContractSignLink, PartnerCode } from './contract.ts';
import { Coupon } from './coupon.ts';
import { Customer } from './customer.ts';
import { CustomerEvent } from './customer-event.ts';
import { CustomerMessage } from './customer-message.ts';
import { EmailOutbox } from './email-outbox.ts';
import { EscalationPolicy, Incident } from './incident.ts';
import { MessageTemplate, MessageTemplateLive, MessageTemplateVersion } from './message-template.ts';
import { MetricPoint } from './metric-point.ts';
import { Operator } from './operator.ts';
import { Partner } from './partner.ts';
import { RfmRun } from './rfm-run.ts';
import { Session, SignInLink } from './session.ts';
import { Rule } from './rule.ts';
import { Setting } from './setting.ts';
import { StageChange } from './stage-change.ts';
import { Task } from './task.ts';
import { WebhookDelivery } from './webhook-delivery.ts';

export {
  AuditEvent, Campaign, CampaignRecipient, CampaignReport, Channel, Content, Contract, ContractPayout, ContractSignLink, Coupon, Customer, CustomerEvent, CustomerMessage,
  EmailOutbox, EscalationPolicy, Incident, MessageTemplate, MessageTemplateLive, MessageTemplateVersion, MetricPoint, Operator, Partner, PartnerCode, RfmRun, Rule, Session, Setting, SignInLink,
  StageChange, Task, WebhookDelivery,
};

/** Every entity, registered explicitly (no folder discovery). */
export const entities = [
  AuditEvent, Campaign, CampaignRecipient, CampaignReport, Channel, Content, Contract, ContractPayout, ContractSignLink, Coupon, Customer, CustomerEvent, CustomerMessage,
  EmailOutbox, EscalationPolicy, Incident, MessageTemplate, MessageTemplateLive, MessageTemplateVersion, MetricPoint, Operator, Partner, PartnerCode, RfmRun, Rule, Session, Setting, SignInLink,
  StageChange, Task, WebhookDelivery,
];
