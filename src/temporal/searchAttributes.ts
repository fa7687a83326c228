import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Klaxon's custom search attributes: filterable in the Temporal Web UI
 * (e.g. `KlaxonTenant = "acme" AND KlaxonStatus = "firing"`). Only short keyword values from
 * labels and state: no secrets, no free text.
 */
export const KlaxonTenant = defineSearchAttributeKey('KlaxonTenant', SearchAttributeType.KEYWORD);
export const KlaxonAlertName = defineSearchAttributeKey('KlaxonAlertName', SearchAttributeType.KEYWORD);
export const KlaxonSeverity = defineSearchAttributeKey('KlaxonSeverity', SearchAttributeType.KEYWORD);
export const KlaxonStatus = defineSearchAttributeKey('KlaxonStatus', SearchAttributeType.KEYWORD);
export const KlaxonService = defineSearchAttributeKey('KlaxonService', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [KlaxonTenant, KlaxonAlertName, KlaxonSeverity, KlaxonStatus, KlaxonService];
