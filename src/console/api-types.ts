/**
 * @module console/api-types
 * The JSON the console's own routes (`/console/api/...`) send and receive: types only, no imports,
 * so the browser code (console/web) and the server share one definition. The AWS control-plane
 * operations the console also calls keep AWS's shapes and are not repeated here.
 */

/** The request header without which no console session counts (a cross-site form cannot set it). */
export const CONSOLE_HEADER = 'x-topicd-console';

/** POST /console/api/session */
export interface SignInRequest {
  accessKeyId: string;
  secretAccessKey: string;
}

/** POST and GET /console/api/session */
export interface SessionInfo {
  accessKeyId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The data endpoint and ports, for the pages' hints (curl lines, file names). */
  endpoint: string;
}

/** One live MQTT connection. Fields the broker does not tell yet are null. */
export interface ConnectedClient {
  clientId: string;
  /** AWS's principalIdentifier: the certificate id, the access key id, or `anonymous`. */
  principal: string;
  /** `mqtt` (TCP/TLS) or `websocket`; null when the broker does not say. */
  transport: 'mqtt' | 'websocket' | null;
  /** 3 (3.1), 4 (3.1.1) or 5; null when the broker does not say. */
  protocolVersion: number | null;
  /** The peer's IP address. */
  address: string;
  /** Epoch milliseconds of the CONNECT. */
  connectedAt: number;
  /** The topic filters it holds now. */
  subscriptions: string[];
}

/** GET /console/api/connections */
export interface ListConnectionsResponse {
  connections: ConnectedClient[];
}

/** AWS ListRetainedMessages' RetainedMessageSummary. */
export interface RetainedSummary {
  topic: string;
  payloadSize: number;
  qos: number;
  /** Epoch milliseconds. */
  lastModifiedTime: number;
}

/** GET /console/api/retained (AWS ListRetainedMessages' output). */
export interface ListRetainedResponse {
  retainedTopics: RetainedSummary[];
  nextToken?: string;
}

/** GET /console/api/retained/message?topic= (AWS GetRetainedMessage's output, payload in base64). */
export interface RetainedMessageResponse extends RetainedSummary {
  payload: string;
  /** MQTT 5 user properties, in order. */
  userProperties: Array<[string, string]>;
}

/**
 * Cumulative counters at one instant. A counter the running topicd does not keep is null (the
 * dashboard says so rather than showing a zero).
 */
export interface StatsSample {
  /** Epoch milliseconds. */
  at: number;
  connections: number | null;
  subscriptions: number | null;
  messagesIn: number | null;
  messagesOut: number | null;
  dropped: number | null;
  denied: number | null;
}

/** GET /console/api/stats: samples oldest first, `intervalMs` apart. */
export interface StatsResponse {
  intervalMs: number;
  samples: StatsSample[];
}

/** One of a thing's shadows as GetThingShadow reads it. */
export interface ShadowView {
  /** null for the classic (unnamed) shadow. */
  shadowName: string | null;
  version: number;
  /** Epoch milliseconds of the last update. */
  lastUpdated: number;
  /** GetThingShadow's `state`: desired, reported, and their delta when they differ. */
  state: { desired?: unknown; reported?: unknown; delta?: unknown };
}

/** A named shadow the key may list but not read (iot:GetThingShadow refused on `thing/<thing>/<shadow>`). */
export interface RefusedShadow {
  shadowName: string;
  /** The AccessDeniedException's message. */
  refused: string;
}

/** GET /console/api/things/{thing}/shadows: the classic shadow first (when it exists), then the named ones by name. */
export interface ThingShadowsResponse {
  shadows: Array<ShadowView | RefusedShadow>;
  /** More named shadows exist than the console reads (SHADOWS_SHOWN). */
  truncated: boolean;
}

/** How many named shadows the thing page reads at most. */
export const SHADOWS_SHOWN = 500;
