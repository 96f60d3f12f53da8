/**
 * @module services/shadow/gate-service
 * The Device Shadow service on the publish gate: which `$aws/things/...` topics it serves (so that in
 * the aws profile clients may publish requests and subscribe to answers there, under their policies),
 * the hand-over of each admitted request, and the ShadowOutlet that sends the service's messages back
 * through the gate: results of a change to every subscriber, answers and refusals to the requester's
 * own subscriptions only (PublishGate.replyTo).
 *
 * Policies stay the gate's: iot:Publish on the request topic was asked before onPublish runs, and
 * iot:Subscribe / iot:Receive are asked of subscribers as for any topic (AWS: reference §8, "Policies").
 */
import type { PublishGate, Publisher, TopicService } from '../../broker/ingress.js';
import type { Message, QoS } from '../../protocol/codec.js';
import { ShadowService, type ShadowOutlet, type ShadowServiceOptions } from './service.js';
import { parseShadowTopic } from './topics.js';

/**
 * AWS publishes the service's messages at QoS 1: a subscriber gets them at the QoS it subscribed with
 * (a QoS 0 subscription downgrades them), and a persistent session keeps the ones it missed.
 */
const SERVICE_QOS: QoS = 1;

/** The outlet on the gate. */
export function gateOutlet(gate: PublishGate): ShadowOutlet {
  return {
    publish: (topic, payload) => gate.publishAsService(topic, payload, SERVICE_QOS),
    reply: (clientId, topic, payload) => gate.replyTo(clientId, topic, payload, SERVICE_QOS),
  };
}

/**
 * Whether a topic or a subscription filter is one of the shadow service's: a concrete shadow topic
 * (request or response), or a filter that can only match under `$aws/things/{thing}/shadow`
 * (`$aws/things/+/shadow/update/delta`, `$aws/things/lamp/shadow/#`).
 */
export function isShadowTopicOrFilter(topic: string): boolean {
  if (!topic.startsWith('$aws/things/')) return false;
  if (!topic.includes('+') && !topic.includes('#')) return parseShadowTopic(topic) !== null;
  const levels = topic.split('/');
  const thing = levels[2];
  const shadow = levels[3];
  if (thing === undefined || thing === '#' || shadow === undefined) return false;
  if (thing.includes('#') || (thing !== '+' && thing.includes('+'))) return false;
  return shadow === 'shadow';
}

/** The service as a TopicService of the gate. */
export class ShadowTopicService implements TopicService {
  constructor(
    private readonly shadows: ShadowService,
    private readonly onError: (err: unknown, context: string) => void,
  ) {}

  serves(topic: string): boolean {
    return isShadowTopicOrFilter(topic);
  }

  /**
   * A request published through the gate. Its answer goes to the publisher's client id; an HTTPS
   * publish has none (AWS: a request published over HTTPS gets no reply of its own, the results of a
   * change are published all the same).
   */
  onPublish(message: Message, from: Publisher): void {
    this.shadows.handlePublish(message.topic, message.payload, from.clientId ?? '').catch((err: unknown) => this.onError(err, 'shadow request'));
  }
}

/** Builds the shadow service on the store and serves its topics on the gate. */
export function attachShadowService(gate: PublishGate, options: Omit<ShadowServiceOptions, 'outlet'>, onError: (err: unknown, context: string) => void): ShadowService {
  const shadows = new ShadowService({ ...options, outlet: gateOutlet(gate) });
  gate.addService(new ShadowTopicService(shadows, onError));
  return shadows;
}
