/** The Apache Kafka release the local cluster runs; pom.xml pins the same one (a test checks). */
export const KAFKA_VERSION = '4.1.1';

/** Kafka 4.x brokers and tools need Java 17 or later. */
export const MIN_JAVA_MAJOR = 17;
