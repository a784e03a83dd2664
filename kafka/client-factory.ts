import type {
  ClientKind,
  ConsumerCallbacks,
  ConsumerOptions,
  FrameConsumer,
  FrameProducer,
  ProducerCallbacks,
  ProducerOptions,
} from './client.js';
import { ConfluentFrameConsumer, ConfluentFrameProducer } from './confluent-client.js';
import { KafkajsFrameConsumer, KafkajsFrameProducer } from './kafkajs-client.js';
import { PlatformaticFrameConsumer, PlatformaticFrameProducer } from './platformatic-client.js';

export function createFrameProducer(kind: ClientKind, options: ProducerOptions, callbacks: ProducerCallbacks): FrameProducer {
  switch (kind) {
    case 'kafkajs':
      return new KafkajsFrameProducer(options, callbacks);
    case 'platformatic':
      return new PlatformaticFrameProducer(options, callbacks);
    default:
      return new ConfluentFrameProducer(options, callbacks);
  }
}

export function createFrameConsumer(kind: ClientKind, options: ConsumerOptions, callbacks: ConsumerCallbacks): FrameConsumer {
  switch (kind) {
    case 'kafkajs':
      return new KafkajsFrameConsumer(options, callbacks);
    case 'platformatic':
      return new PlatformaticFrameConsumer(options, callbacks);
    default:
      return new ConfluentFrameConsumer(options, callbacks);
  }
}
