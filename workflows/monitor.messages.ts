// Rule monitor messages: frozen wire contract shared by the workflow and the API.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { MonitorView } from '../domain/monitor.ts';

/** The rule was changed (or enabled): load it again and evaluate at once. */
export const ruleChanged = defineSignal('ruleChanged');
/** The rule was deleted or disabled: stop. */
export const stopMonitor = defineSignal('stopMonitor');
/** Points of the rule's metric arrived: evaluate now (at most once a second) instead of at the next tick. */
export const pointsArrived = defineSignal('pointsArrived');
export const getMonitor = defineQuery<MonitorView>('getMonitor');
