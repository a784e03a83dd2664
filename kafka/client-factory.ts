import type {
  ClientKind, ConsumerCallbacks, ConsumerOptions, FrameConsumer, FrameProducer, ProducerCallbacks, ProducerOptions,
} from './client.js';
import { ConfluentFrameConsumer, ConfluentFrameProducer } from './confluent-client.js';
import { KafkajsFrameConsumer, KafkajsFrameProducer } from './kafkajs-client.js';

export function createFrameProducer(kind: ClientKind, options: ProducerOptions, callbacks: ProducerCallbacks): FrameProducer {
  return kind === 'kafkajs' ? new KafkajsFrameProducer(options, callbacks) : new ConfluentFrameProducer(options, callbacks);
}

export function createFrameConsumer(kind: ClientKind, options: ConsumerOptions, callbacks: ConsumerCallbacks): FrameConsumer {
  return kind === 'kafkajs' ? new KafkajsFrameConsumer(options, callbacks) : new ConfluentFrameConsumer(options, callbacks);
}
