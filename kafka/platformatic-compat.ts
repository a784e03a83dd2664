import {
  Consumer,
  createAPI,
  ResponseError,
  kGetApi,
  kGetBootstrapConnection,
  kListApis,
  Producer,
  protocolAPIsById,
  Reader,
  Writer,
} from '@platformatic/kafka';
import type { Connection } from '@platformatic/kafka';

/**
 * @platformatic/kafka 1.x speaks only recent protocol versions (Kafka 3.5+): ApiVersions v3,
 * FindCoordinator v4+, OffsetFetch v8+. librdkafka's mock cluster (the embedded cluster) serves
 * ApiVersions ≤ v2, FindCoordinator ≤ v3 and OffsetFetch ≤ v6. These subclasses fall back to those
 * older versions only when the broker offers nothing newer, and hand the library the response
 * in the newer shape it expects; against real Kafka nothing changes.
 */

type Callback<T> = (error: Error | null, result?: T) => void;
interface ApiRange {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
}
type Api = ((connection: Connection, ...args: unknown[]) => void) & { key: number; version: number };

const UNSUPPORTED_VERSION = 35;

/*
  ApiVersions Request (Version: 2) => (empty)
  ApiVersions Response (Version: 2) => error_code [api_keys] throttle_time_ms
    error_code => INT16
    api_keys => api_key min_version max_version (INT16 each; INT32 array length)
    throttle_time_ms => INT32
*/
const apiVersionsV2 = createAPI<[], { apiKeys: ApiRange[] }>(
  18,
  2,
  () => Writer.create(),
  (_c, _k, _v, reader: Reader) => {
    const errorCode = reader.readInt16();
    const apiKeys = reader.readArray(
      (r) => {
        const apiKey = r.readInt16();
        return {
          apiKey,
          name: (protocolAPIsById as Record<number, string>)[apiKey] ?? `api${apiKey}`,
          minVersion: r.readInt16(),
          maxVersion: r.readInt16(),
        };
      },
      false,
      false,
    );
    reader.readInt32();
    if (errorCode !== 0) throw new Error(`ApiVersions v2 answered error ${errorCode}`);
    return { apiKeys };
  },
  false,
  false,
) as unknown as Api;

/*
  FindCoordinator Request (Version: 3) => key key_type TAG_BUFFER
    key => COMPACT_STRING
    key_type => INT8
  FindCoordinator Response (Version: 3) => throttle_time_ms error_code error_message node_id host port TAG_BUFFER
    error_message => COMPACT_NULLABLE_STRING; host => COMPACT_STRING; node_id, port => INT32
*/
const findCoordinatorV3 = createAPI<[number, string], unknown>(
  10,
  3,
  (keyType: number, key: string) => Writer.create().appendString(key).appendInt8(keyType).appendTaggedFields(),
  (_c, _k, apiVersion, reader: Reader) => {
    const throttleTimeMs = reader.readInt32();
    const errorCode = reader.readInt16();
    const errorMessage = reader.readNullableString();
    const nodeId = reader.readInt32();
    const host = reader.readString();
    const port = reader.readInt32();
    // A plain error: the library retries it (a coordinator not yet elected answers an error first).
    if (errorCode !== 0)
      throw new Error(`FindCoordinator v${apiVersion} answered error ${errorCode}${errorMessage ? `: ${errorMessage}` : ''}`);
    return { throttleTimeMs, nodeId, host, port, errorCode, errorMessage };
  },
) as unknown as Api;

/** FindCoordinator in the v4 shape the library reads: { throttleTimeMs, coordinators: [{ key, nodeId, host, port, ... }] }. */
const findCoordinatorAsV4 = ((connection: Connection, keyType: number, keys: string[], cb: Callback<unknown>) => {
  const key = keys[0]!;
  findCoordinatorV3(connection, keyType, key, (error: Error | null, r?: { throttleTimeMs: number }) => {
    if (error) {
      cb(error);
      return;
    }
    const { throttleTimeMs, ...coordinator } = r!;
    cb(null, { throttleTimeMs, coordinators: [{ key, ...coordinator }] });
  });
}) as unknown as Api;

/*
  OffsetFetch Request (Version: 6) => group_id [topics] TAG_BUFFER
    group_id => COMPACT_STRING
    topics => name [partition_indexes] TAG_BUFFER
  OffsetFetch Response (Version: 6) => throttle_time_ms [topics] error_code TAG_BUFFER
    topics => name [partitions] TAG_BUFFER
      partitions => partition_index committed_offset committed_leader_epoch metadata error_code TAG_BUFFER
*/
interface OffsetFetchGroup {
  groupId: string;
  topics: Array<{ name: string; partitionIndexes: number[] }>;
}
const offsetFetchV6 = createAPI<[OffsetFetchGroup], unknown>(
  9,
  6,
  (group: OffsetFetchGroup) =>
    Writer.create()
      .appendString(group.groupId)
      .appendArray(group.topics, (w, t) => {
        w.appendString(t.name).appendArray(
          t.partitionIndexes,
          (w2, i) => {
            w2.appendInt32(i);
          },
          true,
          false,
        );
      })
      .appendTaggedFields(),
  (_c, _k, apiVersion, reader: Reader) => {
    const throttleTimeMs = reader.readInt32();
    const topics = reader.readArray((r) => ({
      name: r.readString(),
      partitions: r.readArray((p) => ({
        partitionIndex: p.readInt32(),
        committedOffset: p.readInt64(),
        committedLeaderEpoch: p.readInt32(),
        metadata: p.readNullableString(),
        errorCode: p.readInt16(),
      })),
    }));
    const errorCode = reader.readInt16();
    if (errorCode !== 0) throw new Error(`OffsetFetch v${apiVersion} answered error ${errorCode}`);
    return { throttleTimeMs, topics, errorCode };
  },
) as unknown as Api;

/** OffsetFetch in the v8 shape the library reads: { throttleTimeMs, groups: [{ groupId, topics, errorCode }] } (one group asked). */
const offsetFetchAsV8 = ((connection: Connection, groups: OffsetFetchGroup[], _requireStable: boolean, cb: Callback<unknown>) => {
  const group = groups[0]!;
  offsetFetchV6(connection, group, (error: Error | null, r?: { throttleTimeMs: number; topics: unknown[]; errorCode: number }) => {
    if (error) {
      cb(error);
      return;
    }
    cb(null, { throttleTimeMs: r!.throttleTimeMs, groups: [{ groupId: group.groupId, topics: r!.topics, errorCode: r!.errorCode }] });
  });
}) as unknown as Api;

/*
  JoinGroup Request (Version: 5) => group_id session_timeout_ms rebalance_timeout_ms member_id group_instance_id protocol_type [protocols]
    group_id, member_id, protocol_type => STRING; group_instance_id => NULLABLE_STRING
    protocols => name metadata (STRING, BYTES)
  JoinGroup Response (Version: 5) => throttle_time_ms error_code generation_id protocol_name leader member_id [members]
    members => member_id group_instance_id metadata (STRING, NULLABLE_STRING, BYTES)
  v6 is the same message, flexible; the mock reads v6's protocol count as INT32, so it needs v5.
*/
interface Protocol {
  name: string;
  metadata?: Buffer | null;
}
const joinGroupV5 = createAPI<unknown[], unknown>(
  11,
  5,
  (
    groupId: string,
    sessionTimeoutMs: number,
    rebalanceTimeoutMs: number,
    memberId: string,
    groupInstanceId: string | null,
    protocolType: string,
    protocols: Protocol[],
  ) =>
    Writer.create()
      .appendString(groupId, false)
      .appendInt32(sessionTimeoutMs)
      .appendInt32(rebalanceTimeoutMs)
      .appendString(memberId, false)
      .appendString(groupInstanceId, false)
      .appendString(protocolType, false)
      .appendArray(
        protocols,
        (w, p) => {
          w.appendString(p.name, false).appendBytes(p.metadata ?? Buffer.alloc(0), false);
        },
        false,
        false,
      ),
  (_c, apiKey, apiVersion, reader: Reader) => {
    const response = {
      throttleTimeMs: reader.readInt32(),
      errorCode: reader.readInt16(),
      generationId: reader.readInt32(),
      protocolType: '',
      protocolName: reader.readNullableString(false),
      leader: reader.readString(false),
      skipAssignment: false,
      memberId: reader.readNullableString(false),
      members: reader.readArray(
        (r) => ({ memberId: r.readString(false), groupInstanceId: r.readNullableString(false), metadata: r.readNullableBytes(false) }),
        false,
        false,
      ),
    };
    // The library's own error type: it reads needsRejoin / memberId from it to rejoin.
    if (response.errorCode !== 0) throw new ResponseError(apiKey, apiVersion, { '/': [response.errorCode, null] }, response);
    return response;
  },
  false,
  false,
) as unknown as Api;

/*
  SyncGroup Request (Version: 3) => group_id generation_id member_id group_instance_id [assignments]
    assignments => member_id assignment (STRING, BYTES)
  SyncGroup Response (Version: 3) => throttle_time_ms error_code assignment (BYTES)
  v4 is the same message, flexible; the mock reads v4's assignment count as INT32, so it needs v3.
*/
const syncGroupV3 = createAPI<unknown[], unknown>(
  14,
  3,
  (
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    _type: unknown,
    _name: unknown,
    assignments: Array<{ memberId: string; assignment: Buffer }>,
  ) =>
    Writer.create()
      .appendString(groupId, false)
      .appendInt32(generationId)
      .appendString(memberId, false)
      .appendString(groupInstanceId, false)
      .appendArray(
        assignments,
        (w, a) => {
          w.appendString(a.memberId, false).appendBytes(a.assignment, false);
        },
        false,
        false,
      ),
  (_c, apiKey, apiVersion, reader: Reader) => {
    const response = {
      throttleTimeMs: reader.readInt32(),
      errorCode: reader.readInt16(),
      protocolType: null,
      protocolName: null,
      assignment: reader.readBytes(false),
    };
    if (response.errorCode !== 0) throw new ResponseError(apiKey, apiVersion, { '/': [response.errorCode, null] }, response);
    return response;
  },
  false,
  false,
) as unknown as Api;

/** Where the broker only answered ApiVersions v2 (the mock), these replace what the library would pick. */
const LEGACY: Record<string, Api> = { JoinGroup: joinGroupV5, SyncGroup: syncGroupV3 };

/** Fallbacks by API name, with the version each speaks on the wire. */
const FALLBACKS: Record<string, { version: number; api: Api }> = {
  FindCoordinator: { version: 3, api: findCoordinatorAsV4 },
  OffsetFetch: { version: 6, api: offsetFetchAsV8 },
};

interface CompatHost {
  apiRanges: ApiRange[];
  /** The broker refused ApiVersions v3: an old protocol implementation such as librdkafka's mock. */
  legacy: boolean;
}

function isUnsupportedVersion(error: unknown): boolean {
  const e = error as { apiCode?: number; errors?: unknown[]; findBy?: (k: string, v: unknown) => unknown };
  return (
    e?.apiCode === UNSUPPORTED_VERSION ||
    Boolean(e?.findBy?.('apiCode', UNSUPPORTED_VERSION)) ||
    (e?.errors ?? []).some(isUnsupportedVersion)
  );
}

/** ApiVersions v3, or v2 when the broker refuses v3 (as Kafka's protocol guide asks clients to do). */
function listApis(
  host: CompatHost,
  stock: (cb: Callback<ApiRange[]>) => void,
  bootstrap: (cb: Callback<Connection>) => void,
  callback: Callback<ApiRange[]>,
): void {
  stock((error, apis) => {
    if (!error) {
      host.apiRanges = apis!;
      callback(null, apis);
      return;
    }
    if (!isUnsupportedVersion(error)) {
      callback(error);
      return;
    }
    bootstrap((connError, connection) => {
      if (connError) {
        callback(connError);
        return;
      }
      apiVersionsV2(connection!, (e: Error | null, response?: { apiKeys: ApiRange[] }) => {
        if (e) {
          callback(e);
          return;
        }
        host.apiRanges = response!.apiKeys;
        host.legacy = true;
        callback(null, response!.apiKeys);
      });
    });
  });
}

/** The library's choice of version; when it has none the broker accepts, one of the fallbacks above. */
function getApi(host: CompatHost, name: string, stock: (cb: Callback<Api>) => void, callback: Callback<Api>): void {
  const legacy = host.legacy ? LEGACY[name] : undefined;
  if (legacy) {
    callback(null, legacy);
    return;
  }
  stock((error, api) => {
    const fallback = FALLBACKS[name];
    const range = host.apiRanges.find((r) => r.name === name);
    if (error && fallback && range && range.minVersion <= fallback.version && fallback.version <= range.maxVersion) {
      callback(null, fallback.api);
      return;
    }
    callback(error, api);
  });
}

type Stocked = Record<symbol, (...args: unknown[]) => unknown>;

/** A producer that also speaks to brokers (such as librdkafka's mock) offering only older versions. */
export class CompatProducer extends Producer implements CompatHost {
  apiRanges: ApiRange[] = [];
  legacy = false;

  override [kListApis](callback: Callback<ApiRange[]>): void {
    const base = Producer.prototype as unknown as Stocked;
    listApis(
      this,
      (cb) => base[kListApis]!.call(this, cb),
      (cb) => base[kGetBootstrapConnection]!.call(this, cb),
      callback,
    );
  }

  override [kGetApi](name: string, callback: Callback<never>): void {
    const base = Producer.prototype as unknown as Stocked;
    getApi(this, name, (cb) => base[kGetApi]!.call(this, name, cb), callback as Callback<Api>);
  }
}

/** A consumer that also speaks to brokers (such as librdkafka's mock) offering only older versions. */
export class CompatConsumer extends Consumer implements CompatHost {
  apiRanges: ApiRange[] = [];
  legacy = false;

  override [kListApis](callback: Callback<ApiRange[]>): void {
    const base = Consumer.prototype as unknown as Stocked;
    listApis(
      this,
      (cb) => base[kListApis]!.call(this, cb),
      (cb) => base[kGetBootstrapConnection]!.call(this, cb),
      callback,
    );
  }

  override [kGetApi](name: string, callback: Callback<never>): void {
    const base = Consumer.prototype as unknown as Stocked;
    getApi(this, name, (cb) => base[kGetApi]!.call(this, name, cb), callback as Callback<Api>);
  }
}
